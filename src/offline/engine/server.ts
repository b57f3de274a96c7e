/**
 * The engine served over gRPC on 127.0.0.1, for a program spawned under
 * `@pulumi/pulumi/cmd/run` (`--monitor` and `--engine` both point here).
 */
import * as grpc from "@grpc/grpc-js";
import { EngineService } from "@pulumi/pulumi/proto/engine_grpc_pb";
import { ResourceMonitorService } from "@pulumi/pulumi/proto/resource_grpc_pb";
import { engineHandlers } from "./monitor";
import type { EngineModel } from "./model";

export interface EngineServer {
  /** `127.0.0.1:PORT`. */
  readonly address: string;
  close(): Promise<void>;
}

type Handler = (req: any, cb: (err: grpc.ServiceError | null, res?: unknown) => void) => void;

/** grpc-js server handlers from request/callback handlers. */
function served(handlers: Record<string, Handler>): grpc.UntypedServiceImplementation {
  return Object.fromEntries(Object.entries(handlers).map(([name, h]) => [name, (call: grpc.ServerUnaryCall<unknown, unknown>, cb: grpc.sendUnaryData<unknown>) => h(call.request, cb)]));
}

const MAX_MESSAGE = 400 * 1024 * 1024;

export async function startEngineServer(model: EngineModel): Promise<EngineServer> {
  const server = new grpc.Server({ "grpc.max_receive_message_length": MAX_MESSAGE, "grpc.max_send_message_length": MAX_MESSAGE });
  const { monitor, engine } = engineHandlers(model);
  server.addService(ResourceMonitorService as unknown as grpc.ServiceDefinition, served(monitor as unknown as Record<string, Handler>));
  server.addService(EngineService as unknown as grpc.ServiceDefinition, served(engine as unknown as Record<string, Handler>));
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return {
    address: `127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.tryShutdown(() => resolve());
      }),
  };
}
