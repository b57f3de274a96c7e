/**
 * Entry point for `pulumi up` / `pulumi preview`: one zipnet instance per stack, from the
 * structured config key `zipnet-infra:instance`. Invalid config fails before any resource is
 * registered, with one line per problem.
 */
import * as pulumi from "@pulumi/pulumi";
import { ConfigError, parseInstanceConfig } from "./config/validate";
import { program } from "./program";

function loadConfig() {
  try {
    return parseInstanceConfig(new pulumi.Config("zipnet-infra").getObject<unknown>("instance"));
  } catch (err) {
    // A RunError prints its message without a stack trace.
    if (err instanceof ConfigError) throw new pulumi.RunError(err.message);
    throw err;
  }
}

const outputs = program(loadConfig());
export = outputs;
