/**
 * The Pulumi engine's two gRPC services (`ResourceMonitor`, `Engine` from `@pulumi/pulumi/proto`)
 * over the engine model: each request decoded, handed to the model, its answer encoded. The same
 * handlers serve a spawned program over gRPC (server.ts) and the SDK in-process (inProcess.ts),
 * so both paths meet the same rules.
 */
import * as grpc from "@grpc/grpc-js";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import * as enginepb from "@pulumi/pulumi/proto/engine_pb";
import * as providerpb from "@pulumi/pulumi/proto/provider_pb";
import * as resourcepb from "@pulumi/pulumi/proto/resource_pb";
import { EngineError, type EngineModel, type LogEntry, type Registration } from "./model";

/** What the real engine's resource monitor says it supports (pkg/resource/deploy/source_eval.go). */
export const SUPPORTED_FEATURES = new Set([
  "secrets",
  "resourceReferences",
  "outputValues",
  "deletedWith",
  "replaceWith",
  "replacementTrigger",
  "aliasSpecs",
  "transforms",
  "invokeTransforms",
  "parameterization",
  "resourceHooks",
  "errorHooks",
  "sendsOptionsToHooks",
]);

type Callback<T> = (err: grpc.ServiceError | null, res?: T) => void;

function failure(err: unknown, code = grpc.status.INVALID_ARGUMENT): grpc.ServiceError {
  const message = err instanceof Error ? err.message : String(err);
  return Object.assign(new Error(message), { code: err instanceof EngineError ? code : grpc.status.INTERNAL, details: message, metadata: new grpc.Metadata() });
}

function unimplemented(what: string): grpc.ServiceError {
  const message = `${what} is not supported by the offline engine`;
  return Object.assign(new Error(message), { code: grpc.status.UNIMPLEMENTED, details: message, metadata: new grpc.Metadata() });
}

function structOf(value: Record<string, unknown>): Struct {
  return Struct.fromJavaScript(value as Record<string, any>);
}

function hookNames(req: resourcepb.RegisterResourceRequest): Record<string, string[]> {
  const hooks = req.getHooks();
  if (!hooks) return {};
  const lists: Record<string, string[]> = {
    beforeCreate: hooks.getBeforeCreateList(),
    afterCreate: hooks.getAfterCreateList(),
    beforeUpdate: hooks.getBeforeUpdateList(),
    afterUpdate: hooks.getAfterUpdateList(),
    beforeDelete: hooks.getBeforeDeleteList(),
    afterDelete: hooks.getAfterDeleteList(),
  };
  return Object.fromEntries(Object.entries(lists).filter(([, list]) => list.length > 0));
}

/** A RegisterResourceRequest as the model reads it. */
export function registrationOf(req: resourcepb.RegisterResourceRequest): Registration {
  const propertyDependencies: Record<string, string[]> = {};
  req.getPropertydependenciesMap().forEach((deps, key) => {
    propertyDependencies[key] = deps.getUrnsList();
  });
  return {
    type: req.getType(),
    name: req.getName(),
    custom: req.getCustom(),
    parent: req.getParent(),
    provider: req.getProvider(),
    version: req.getVersion(),
    dependencies: req.getDependenciesList(),
    propertyDependencies,
    deletedWith: req.getDeletedwith(),
    inputs: (req.getObject()?.toJavaScript() ?? {}) as Record<string, unknown>,
    protect: req.getProtect() ?? false,
    retainOnDelete: req.getRetainondelete() ?? false,
    hooks: hookNames(req),
    ignoreChanges: req.getIgnorechangesList(),
    additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
    replaceOnChanges: req.getReplaceonchangesList(),
    remote: req.getRemote() ?? false,
    deleteBeforeReplace: req.getDeletebeforereplace() ?? false,
  };
}

const SEVERITY: Record<number, LogEntry["severity"]> = {
  [enginepb.LogSeverity.DEBUG]: "debug",
  [enginepb.LogSeverity.INFO]: "info",
  [enginepb.LogSeverity.WARNING]: "warning",
  [enginepb.LogSeverity.ERROR]: "error",
};

/** Handlers of both services, in the request/callback form the SDK's clients and grpc-js servers share. */
export function engineHandlers(model: EngineModel) {
  const monitor = {
    supportsFeature(req: resourcepb.SupportsFeatureRequest, cb: Callback<resourcepb.SupportsFeatureResponse>) {
      const res = new resourcepb.SupportsFeatureResponse();
      res.setHassupport(SUPPORTED_FEATURES.has(req.getId()));
      cb(null, res);
    },
    registerResource(req: resourcepb.RegisterResourceRequest, cb: Callback<resourcepb.RegisterResourceResponse>) {
      try {
        const reg = registrationOf(req);
        model.checkHooks(reg);
        const r = model.register(reg);
        const res = new resourcepb.RegisterResourceResponse();
        res.setUrn(r.urn);
        res.setId(r.id);
        res.setObject(structOf(r.outputs));
        res.setResult(resourcepb.Result.SUCCESS);
        cb(null, res);
      } catch (err) {
        cb(failure(err));
      }
    },
    registerResourceOutputs(req: resourcepb.RegisterResourceOutputsRequest, cb: Callback<Empty>) {
      try {
        model.registerOutputs(req.getUrn(), (req.getOutputs()?.toJavaScript() ?? {}) as Record<string, unknown>);
        cb(null, new Empty());
      } catch (err) {
        cb(failure(err));
      }
    },
    invoke(req: resourcepb.ResourceInvokeRequest, cb: Callback<providerpb.InvokeResponse>) {
      try {
        const args = (req.getArgs()?.toJavaScript() ?? {}) as Record<string, any>;
        const result = model.invoke(req.getTok(), args, req.getProvider(), req.getVersion());
        const res = new providerpb.InvokeResponse();
        res.setReturn(structOf(result));
        cb(null, res);
      } catch (err) {
        cb(failure(err));
      }
    },
    registerResourceHook(req: resourcepb.RegisterResourceHookRequest, cb: Callback<Empty>) {
      try {
        model.registerHook(req.getName());
        cb(null, new Empty());
      } catch (err) {
        cb(failure(err));
      }
    },
    signalAndWaitForShutdown(_req: Empty, cb: Callback<Empty>) {
      cb(null, new Empty());
    },
    readResource(_req: unknown, cb: Callback<never>) {
      cb(unimplemented("ReadResource (Resource.get)"));
    },
    call(_req: unknown, cb: Callback<never>) {
      cb(unimplemented("Call (resource methods)"));
    },
    registerPackage(_req: unknown, cb: Callback<never>) {
      cb(unimplemented("RegisterPackage (parameterized providers)"));
    },
  };
  const engine = {
    log(req: enginepb.LogRequest, cb: Callback<Empty>) {
      model.log({ severity: SEVERITY[req.getSeverity()] ?? "info", message: req.getMessage(), urn: req.getUrn() });
      cb(null, new Empty());
    },
    getRootResource(_req: enginepb.GetRootResourceRequest, cb: Callback<enginepb.GetRootResourceResponse>) {
      const res = new enginepb.GetRootResourceResponse();
      res.setUrn(model.rootUrn);
      cb(null, res);
    },
    setRootResource(req: enginepb.SetRootResourceRequest, cb: Callback<enginepb.SetRootResourceResponse>) {
      model.rootUrn = req.getUrn();
      cb(null, new enginepb.SetRootResourceResponse());
    },
    requirePulumiVersion(_req: unknown, cb: Callback<Empty>) {
      cb(null, new Empty());
    },
  };
  return { monitor, engine };
}
