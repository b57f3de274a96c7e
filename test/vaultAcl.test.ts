/**
 * Proves policies/lib/vaultAcl.ts against Vault's own documentation and test tables.
 *
 * Sources (hashicorp/vault):
 *  - [DOCS]  website/content/docs/concepts/policies.mdx ("Policies" concept page)
 *  - [ACL]   vault/acl_test.go (TestACL_Single, TestACL_Layered, TestACL_Capabilities,
 *            TestACL_SegmentWildcardPriority, TestACLGrantingPolicies, TestACL_ParseMalformedPolicy)
 *  - [POL]   vault/policy_test.go (TestPolicy_Parse, TestPolicy_ParseBad*)
 *  - [KB]    HashiCorp support KB "Usage of Glob and Wildcard in Vault Policies"
 *  - [CODE]  vault/acl.go, vault/policy.go (behaviour read from the implementation)
 * Policies from those files are re-typed here; the expectations are theirs.
 */
import { describe, expect, it } from "vitest";
import {
  type Capability,
  type VaultPolicy,
  can,
  evaluate,
  parsePolicyHcl,
  validatePattern,
} from "../policies/lib/vaultAcl";

const sorted = (s: Set<Capability>): Capability[] => [...s].sort();
const capsOf = (policies: VaultPolicy[], path: string): Capability[] => sorted(evaluate(policies, path));
const pol = (hcl: string, name = "test"): VaultPolicy => parsePolicyHcl(name, hcl);
const ALL_SIX: Capability[] = ["create", "delete", "list", "patch", "read", "update"];

// [DOCS] "Here is a more detailed policy, and it is documented inline".
const DOCS_DETAILED = `
# This section grants all access on "secret/*". Further restrictions can be
# applied to this broad policy, as shown below.
path "secret/*" {
  capabilities = ["create", "read", "update", "patch", "delete", "list"]
}

# Even though we allowed secret/*, this line explicitly denies
# secret/super-secret. This takes precedence.
path "secret/super-secret" {
  capabilities = ["deny"]
}

# Policies can also specify allowed, disallowed, and required parameters.
path "secret/restricted" {
  capabilities = ["create"]
  allowed_parameters = {
    "foo" = []
    "bar" = ["zip", "zap"]
  }
}
`;

describe("parsePolicyHcl", () => {
  it("parses the Policies page's detailed multi-block policy with comments and parameters [DOCS]", () => {
    expect(pol(DOCS_DETAILED, "detailed")).toEqual({
      name: "detailed",
      rules: [
        { path: "secret/*", capabilities: ["create", "read", "update", "patch", "delete", "list"] },
        { path: "secret/super-secret", capabilities: ["deny"] },
        { path: "secret/restricted", capabilities: ["create"] },
      ],
    });
  });

  it("parses policy_test.go's rawPolicy: name, legacy `policy =`, leading '/', TTLs, nested parameter values [POL]", () => {
    const p = pol(`
# Developer policy
name = "dev"
path "*" { policy = "deny" }
path "stage/*" { policy = "sudo" }
path "prod/version" { policy = "read" }
path "/foo/bar" {
  policy = "read"
  min_wrapping_ttl = 300
  max_wrapping_ttl = "1h"
}
path "foo/bar" {
  capabilities = ["create", "sudo"]
  min_wrapping_ttl = "300s"
  max_wrapping_ttl = 3600
}
path "baz/bar" {
  capabilities = ["create", "sudo"]
  denied_parameters = { "zip" = [] "zap" = [] }
}
path "test/types" {
  capabilities = ["create", "sudo"]
  allowed_parameters = {
    "map" = [{"good" = "one"}]
    "int" = [1, 2]
  }
  denied_parameters = {
    "string" = ["test"]
    "bool" = [false]
  }
}`);
    expect(p.rules).toEqual([
      { path: "*", capabilities: ["deny"] },
      { path: "stage/*", capabilities: ["create", "read", "update", "delete", "list", "sudo"] },
      { path: "prod/version", capabilities: ["read", "list"] },
      { path: "foo/bar", capabilities: ["read", "list"] },
      { path: "foo/bar", capabilities: ["create", "sudo"] },
      { path: "baz/bar", capabilities: ["create", "sudo"] },
      { path: "test/types", capabilities: ["create", "sudo"] },
    ]);
    // The two foo/bar blocks "are combined when compiled into an ACL" [POL].
    expect(capsOf([p], "foo/bar")).toEqual(["create", "list", "read", "sudo"]);
  });

  it("accepts // and /* */ comments, trailing commas, odd whitespace, one-line blocks; drops deny's siblings", () => {
    const p = pol(`/* header
   spanning lines */ path "a/*" { capabilities = [ "read",
      "list", // trailing comma next
    ] }   path "b" {capabilities=["read","deny"],required_parameters=["x"],} // tail`);
    expect(p.rules).toEqual([
      { path: "a/*", capabilities: ["read", "list"] },
      { path: "b", capabilities: ["deny"] },
    ]);
  });

  it("accepts the JSON policy form, giving the same rules as the HCL form", () => {
    const json = JSON.stringify({
      path: {
        "secret/*": { capabilities: ["create", "read", "update", "patch", "delete", "list"] },
        "secret/super-secret": { capabilities: ["deny"] },
        "secret/restricted": { capabilities: ["create"], allowed_parameters: { foo: [], bar: ["zip", "zap"] } },
      },
    });
    expect(parsePolicyHcl("detailed", json)).toEqual(pol(DOCS_DETAILED, "detailed"));
  });

  it("rejects a '*' that is not the last character, naming the policy and the path [DOCS]", () => {
    expect(() => parsePolicyHcl("app", `path "secret/*/config" { capabilities = ["read"] }`)).toThrow(
      /Vault policy "app": path "secret\/\*\/config": "\*" is only supported as the last character/,
    );
  });

  it("rejects '+*' (forbidden by policy.go) and a '+' inside a segment [CODE][KB]", () => {
    expect(() => pol(`path "secret/+*" { capabilities = ["read"] }`)).toThrow(/path "secret\/\+\*": "\+\*" is forbidden/);
    expect(() => pol(`path "secret/a+c/*" { capabilities = ["read"] }`)).toThrow(/"\+" must be a whole path segment/);
  });

  it("rejects an unknown capability, a misspelt key, an unknown legacy policy, a bad top-level key [POL]", () => {
    expect(() => pol(`path "/" { capabilities = ["read", "banana"] }`, "p1")).toThrow(
      'Vault policy "p1": path "/": invalid capability "banana"',
    );
    expect(() => pol(`path "/" {\n capabilities = ["read"]\n capabilites = ["read"]\n}`)).toThrow(/path "\/": invalid key "capabilites"/);
    expect(() => pol(`path "/" { policy = "banana" }`)).toThrow(/path "\/": invalid policy "banana"/);
    expect(() => pol(`name = "test"\nbad = "foo"`)).toThrow(/invalid top-level key "bad"/);
  });

  it("rejects malformed syntax with a line number [ACL TestACL_ParseMalformedPolicy]", () => {
    expect(() => pol(`name{}`)).toThrow(/"name" must be a string/);
    expect(() => pol(`path "a" {\n capabilities = ["read"]\n`)).toThrow(/syntax error on line 3: expected "}"/);
    expect(() => pol(`path "a" { capabilities = ["read" "list"] }`)).toThrow(/syntax error on line 1: expected "," or "]"/);
    expect(() => pol(`path "a { capabilities = ["read"] }`)).toThrow(/syntax error on line 1/);
    expect(() => pol(`/* never closed\npath "a" {}`)).toThrow(/unterminated \/\* comment/);
    expect(() => pol(`path "a" { capabilities = "read" }`)).toThrow(/capabilities must be a list of strings/);
    expect(() => pol(`path "a" "b" { capabilities = ["read"] }`)).toThrow(/exactly one path/);
    expect(() => pol(`{"path": {"a": {"capabilities": ["read"]}}`)).toThrow(/invalid JSON/);
  });
});

describe("validatePattern [KB examples]", () => {
  it.each(["secret/abc/*", "secret/abc/1*", "secret/+/123", "secret/abc/+", "secret/+/*", "+/abc/123", "/secret/foo", "*"])(
    "accepts %s",
    (p) => expect(validatePattern(p)).toBeUndefined(),
  );
  it.each(["secret/*/123", "secret/a*c", "secret/+*", "secret/a+c/*", "//secret/foo"])("rejects %s", (p) =>
    expect(validatePattern(p)).toEqual(expect.any(String)),
  );
});

describe("evaluate: examples from the Policies page [DOCS]", () => {
  it("simple policy: read on secret/foo only; deny by default elsewhere", () => {
    const p = [pol(`path "secret/foo" { capabilities = ["read"] }`)];
    expect(capsOf(p, "secret/foo")).toEqual(["read"]);
    expect(can(p, "secret/foo", "update")).toBe(false);
    expect(capsOf(p, "secret/bar")).toEqual([]);
    expect(capsOf([], "secret/foo")).toEqual([]);
  });

  it("detailed policy: exact deny on secret/super-secret takes precedence over secret/*", () => {
    const p = [pol(DOCS_DETAILED)];
    expect(capsOf(p, "secret/super-secret")).toEqual([]);
    expect(capsOf(p, "secret/anything/else")).toEqual(ALL_SIX);
    expect(capsOf(p, "secret/restricted")).toEqual(["create"]);
  });

  it("glob examples: secret/foo, secret/bar/*, secret/zip-*", () => {
    const p = [pol(`
path "secret/foo" { capabilities = ["read"] }
path "secret/bar/*" { capabilities = ["read"] }
path "secret/zip-*" { capabilities = ["read"] }`)];
    const readable = (path: string) => can(p, path, "read");
    // "An attached token cannot read "secret/food" or "secret/foo/bar"."
    expect([readable("secret/foo"), readable("secret/food"), readable("secret/foo/bar")]).toEqual([true, false, false]);
    // "could read "secret/bar/zip", "secret/bar/zip/zap", but not "secret/bars/zip"."
    expect([readable("secret/bar/zip"), readable("secret/bar/zip/zap"), readable("secret/bars/zip")]).toEqual([true, true, false]);
    // "could read "secret/zip-zap" or "secret/zip-zap/zong", but not "secret/zip/zap""
    expect([readable("secret/zip-zap"), readable("secret/zip-zap/zong"), readable("secret/zip/zap")]).toEqual([true, true, false]);
  });

  it('"if you define a policy for "secret/foo*", the policy would also match "secret/foobar""', () => {
    const p = [pol(`path "secret/foo*" { capabilities = ["read"] }`)];
    expect(["secret/foobar", "secret/foo", "secret/foo/bar", "secret/fo"].map((x) => can(p, x, "read"))).toEqual([true, true, true, false]);
  });

  it('"+" examples: secret/+/teamb and secret/+/+/teamb', () => {
    const one = [pol(`path "secret/+/teamb" { capabilities = ["read"] }`)];
    expect(["secret/foo/teamb", "secret/foo/bar/teamb", "secret/teamb", "secret/foo/teamb/x"].map((x) => can(one, x, "read"))).toEqual([
      true, false, false, false,
    ]);
    const two = [pol(`path "secret/+/+/teamb" { capabilities = ["read"] }`)];
    // "Permit reading secret/foo/bar/teamb, secret/bar/foo/teamb, etc."
    expect(["secret/foo/bar/teamb", "secret/bar/foo/teamb", "secret/foo/teamb"].map((x) => can(two, x, "read"))).toEqual([true, true, false]);
  });

  it('priority example: "secret/+/+/foo/*" has lower priority than "secret/*" (rule 3)', () => {
    const p = [pol(`
path "secret/+/+/foo/*" { capabilities = ["update"] }
path "secret/*" { capabilities = ["read"] }`)];
    expect(capsOf(p, "secret/a/b/foo/c")).toEqual(["read"]);
  });

  it("ignores leading slashes on the request path", () => {
    const p = [pol(`path "secret/foo" { capabilities = ["read"] }`)];
    expect(capsOf(p, "/secret/foo")).toEqual(["read"]);
    expect(capsOf(p, "///secret/foo")).toEqual(["read"]);
  });
});

describe("evaluate: priority rules (TestACL_SegmentWildcardPriority) [ACL]", () => {
  // Each case holds a read rule and an update rule; the update rule must win, whatever the order.
  const cases: Array<[string, string, string, string]> = [
    ["'*' beats '+/*' (first wildcard position 0 vs 0, then fewer + segments)", "+/*", "*", "foo/bar/bar/baz"],
    ["rule 1: '+/*' loses to 'foo/+/*' (first wildcard earlier)", "+/*", "foo/+/*", "foo/bar/bar/baz"],
    ["rule 2 before rule 3: 'foo/+/+/*' loses to 'foo/+/bar/baz' (ends in *)", "foo/+/+/*", "foo/+/bar/baz", "foo/bar/bar/baz"],
    ["rule 3: 'foo/+/+/baz' loses to 'foo/+/bar/baz' (more + segments)", "foo/+/+/baz", "foo/+/bar/baz", "foo/bar/bar/baz"],
    ["rule 1: 'foo/+/(ar/baz' loses to 'foo/(ar/+/baz'", "foo/+/(ar/baz", "foo/(ar/+/baz", "foo/(ar/(ar/baz"],
    ["rule 2: 'foo/bar/+/baz*' loses to 'foo/bar/+/baz' (ends in *)", "foo/bar/+/baz*", "foo/bar/+/baz", "foo/bar/bar/baz"],
    ["rule 4: 'foo/bar/+/b*' loses to 'foo/bar/+/ba*' (shorter)", "foo/bar/+/b*", "foo/bar/+/ba*", "foo/bar/bar/baz"],
    // Not in acl_test.go: the shorter pattern is lexicographically LARGER, so only rule 4 gives this answer.
    ["rule 4 before rule 5: '+/b/+' loses to '+/+/cc' (shorter)", "+/b/+", "+/+/cc", "x/b/cc"],
    // Not in acl_test.go: rules 1-4 tie (first + at 0, no glob, two + each, length 5), so rule 5 decides.
    ["rule 5: '+/+/y' loses to '+/x/+' (lexicographically smaller)", "+/+/y", "+/x/+", "a/x/y"],
    ["longest glob prefix: 'secret/*' loses to 'secret/app/*'", "secret/*", "secret/app/*", "secret/app/x"],
  ];
  it.each(cases)("%s", (_label, lower, higher, path) => {
    const a = pol(`path "${lower}" { capabilities = ["read"] }\npath "${higher}" { capabilities = ["update"] }`);
    const b = pol(`path "${higher}" { capabilities = ["update"] }\npath "${lower}" { capabilities = ["read"] }`);
    expect(capsOf([a], path)).toEqual(["update"]);
    expect(capsOf([b], path)).toEqual(["update"]);
  });
});

describe("evaluate: merging across policies", () => {
  const p = (name: string, path: string, caps: string) => pol(`path "${path}" { capabilities = [${caps}] }`, name);

  it('same pattern in several policies: "we take the union of the capabilities" [DOCS]', () => {
    expect(capsOf([p("a", "secret/app/*", '"read"'), p("b", "secret/app/*", '"update", "list"')], "secret/app/x")).toEqual([
      "list", "read", "update",
    ]);
  });

  it("deny on the same pattern wins the union, in either order [CODE NewACL]", () => {
    expect(capsOf([p("a", "secret/app/*", '"read", "sudo"'), p("b", "secret/app/*", '"deny"')], "secret/app/x")).toEqual([]);
    expect(capsOf([p("b", "secret/app/*", '"deny"'), p("a", "secret/app/*", '"read", "sudo"')], "secret/app/x")).toEqual([]);
  });

  it("a deny on a lower-priority pattern is ignored; only the winning pattern counts [DOCS]", () => {
    const policies = [p("a", "secret/*", '"deny"'), p("b", "secret/app/*", '"read"')];
    expect(capsOf(policies, "secret/app/x")).toEqual(["read"]);
    expect(capsOf(policies, "secret/other")).toEqual([]);
  });

  it('different patterns are not unioned: "we take only the highest-priority match" [DOCS]', () => {
    const policies = [p("a", "secret/app/*", '"read", "list"'), p("b", "secret/app/config*", '"update"')];
    expect(capsOf(policies, "secret/app/config")).toEqual(["update"]);
    expect(capsOf(policies, "secret/app/other")).toEqual(["list", "read"]);
  });

  it("an exact path beats any pattern, even a deny glob (sys/seal vs sys/*) [ACL TestACL_Layered]", () => {
    const policies = [p("a", "sys/*", '"deny"'), pol(`path "sys/seal" { policy = "sudo" }`, "b")];
    expect(capsOf(policies, "sys/seal")).toEqual(["create", "delete", "list", "read", "sudo", "update"]);
    expect(capsOf(policies, "sys/status")).toEqual([]);
  });

  it("a winning rule with no capabilities grants nothing (it still wins priority) [CODE]", () => {
    const policies = [p("a", "secret/*", '"read"'), pol(`path "secret/app/*" { required_parameters = ["x"] }`, "b")];
    expect(capsOf(policies, "secret/app/x")).toEqual([]);
    expect(capsOf(policies, "secret/x")).toEqual(["read"]);
  });

  it("rejects invalid hand-built rules with the policy and path in the message", () => {
    const bad: VaultPolicy = { name: "hand", rules: [{ path: "a/*/b", capabilities: ["read"] }] };
    expect(() => evaluate([bad], "a/x/b")).toThrow(/Vault policy "hand": path "a\/\*\/b"/);
    const badCap = { name: "hand", rules: [{ path: "a", capabilities: ["write"] }] } as unknown as VaultPolicy;
    expect(() => evaluate([badCap], "a")).toThrow(/invalid capability "write"/);
  });
});

// ----- Tables ported from vault/acl_test.go [ACL] -----

const ACL_POLICY = pol(
  `
name = "DeV"
path "dev/*"              { policy = "sudo" }
path "stage/*"            { policy = "write" }
path "stage/aws/*"        { policy = "read"  capabilities = ["update", "sudo"] }
path "stage/aws/policy/*" { policy = "sudo" }
path "prod/*"             { policy = "read" }
path "prod/aws/*"         { policy = "deny" }
path "sys/*"              { policy = "deny" }
path "foo/bar"            { capabilities = ["read", "create", "sudo"] }
path "baz/quux"           { capabilities = ["read", "create", "patch"] }
path "test/+/segment"              { capabilities = ["read"] }
path "+/segment/at/front"          { capabilities = ["read"] }
path "test/segment/at/end/+"       { capabilities = ["read"] }
path "test/segment/at/end/v2/+/"   { capabilities = ["read"] }
path "test/+/wildcard/+/*"         { capabilities = ["read"] }
path "test/+/wildcardglob/+/end*"  { capabilities = ["read"] }
path "1/2/*"   { capabilities = ["create"] }
path "1/2/+"   { capabilities = ["read"] }
path "1/2/+/+" { capabilities = ["update", "recover"] }
`,
  "DeV",
);

const ACL_POLICY_2 = pol(
  `
name = "OpS"
path "dev/hide/*"         { policy = "deny" }
path "stage/aws/policy/*" {
  policy = "deny"
  # This should have no effect
  capabilities = ["read", "update", "sudo"]
}
path "prod/*"   { policy = "write" }
path "sys/seal" { policy = "sudo" }
path "foo/bar"  { capabilities = ["deny"] }
path "baz/quux" { capabilities = ["deny"] }
`,
  "OpS",
);

// [op capability, path, allowed, rootPrivs (= the matched rule holds sudo)]
type Row = [Capability, string, boolean, boolean];
const check = (policies: VaultPolicy[], [cap, path, allowed, rootPrivs]: Row) => {
  expect(can(policies, path, cap), `${cap} ${path}`).toBe(allowed);
  expect(evaluate(policies, path, { listOperation: cap === "list" }).has("sudo"), `sudo on ${path}`).toBe(rootPrivs);
};

describe("acl_test.go TestACL_Single [ACL]", () => {
  const rows: Row[] = [
    ["read", "root", false, false],
    ["read", "dev/foo", true, true],
    ["update", "dev/foo", true, true],
    ["delete", "stage/foo", true, false],
    ["list", "stage/aws/foo", true, true],
    ["update", "stage/aws/foo", true, true],
    ["update", "stage/aws/policy/foo", true, true],
    ["delete", "prod/foo", false, false],
    ["update", "prod/foo", false, false],
    ["read", "prod/foo", true, false],
    ["list", "prod/foo", true, false],
    ["read", "prod/aws/foo", false, false],
    ["read", "foo/bar", true, true],
    ["list", "foo/bar", false, true],
    ["update", "foo/bar", false, true],
    ["create", "foo/bar", true, true],
    ["read", "baz/quux", true, false],
    ["create", "baz/quux", true, false],
    ["patch", "baz/quux", true, false],
    ["list", "baz/quux", false, false],
    ["update", "baz/quux", false, false],
    // Path segment wildcards
    ["read", "test/foo/bar/segment", false, false],
    ["read", "test/foo/segment", true, false],
    ["read", "test/bar/segment", true, false],
    ["read", "test/segment/at/frond", false, false],
    ["read", "test/segment/at/front", true, false],
    ["read", "test/segment/at/end/foo", true, false],
    ["read", "test/segment/at/end/foo/", false, false],
    ["read", "test/segment/at/end/v2/foo/", true, false],
    ["read", "test/segment/wildcard/at/foo/", true, false],
    ["read", "test/segment/wildcard/at/end", true, false],
    ["read", "test/segment/wildcard/at/end/", true, false],
    // Path segment wildcards vs glob
    ["read", "1/2/3/4", false, false],
    ["read", "1/2/3", true, false],
    ["update", "1/2/3", false, false],
    ["update", "1/2/3/4", true, false],
    ["create", "1/2/3/4/5", true, false],
    ["recover", "1/2/3/4", true, false],
  ];
  it.each(rows)("%s %s -> allowed=%s rootPrivs=%s", (...row) => check([ACL_POLICY], row));
});

describe("acl_test.go TestACL_Layered [ACL]", () => {
  const rows: Row[] = [
    ["read", "root", false, false],
    ["read", "dev/foo", true, true],
    ["update", "dev/foo", true, true],
    ["read", "dev/hide/foo", false, false],
    ["update", "dev/hide/foo", false, false],
    ["delete", "stage/foo", true, false],
    ["list", "stage/aws/foo", true, true],
    ["update", "stage/aws/foo", true, true],
    ["update", "stage/aws/policy/foo", false, false],
    ["delete", "prod/foo", true, false],
    ["update", "prod/foo", true, false],
    ["read", "prod/foo", true, false],
    ["list", "prod/foo", true, false],
    ["read", "prod/aws/foo", false, false],
    ["read", "sys/status", false, false],
    ["update", "sys/seal", true, true],
    ["read", "foo/bar", false, false],
    ["list", "foo/bar", false, false],
    ["update", "foo/bar", false, false],
    ["create", "foo/bar", false, false],
    ["read", "baz/quux", false, false],
    ["list", "baz/quux", false, false],
    ["update", "baz/quux", false, false],
    ["create", "baz/quux", false, false],
    ["patch", "baz/quux", false, false],
  ];
  it.each(rows)("%s %s -> allowed=%s rootPrivs=%s", (...row) => check([ACL_POLICY, ACL_POLICY_2], row));
});

describe("acl_test.go TestACL_Capabilities and TestACLGrantingPolicies [ACL]", () => {
  it("capabilities on dev, dev/ and stage/aws/test (Capabilities() evaluates as a LIST request)", () => {
    const list = (path: string) => sorted(evaluate([ACL_POLICY], path, { listOperation: true }));
    expect(list("dev")).toEqual([]); // Vault reports ["deny"]
    expect(list("dev/")).toEqual(["create", "delete", "list", "read", "sudo", "update"]);
    expect(list("stage/aws/test")).toEqual(["list", "read", "sudo", "update"]);
  });

  it("exact, glob and deny rules merged across two policies", () => {
    const granting = pol(`
path "kv/foo"          { capabilities = ["update", "read"] }
path "kv/path/*"       { capabilities = ["read"] }
path "kv/path/longer"  { capabilities = ["update", "read"] }
path "kv/path/longer2" { capabilities = ["update"] }
path "kv/deny"         { capabilities = ["deny"] }
path "ns1/kv/foo"      { capabilities = ["update", "read", "recover"] }`, "granting_policy");
    const merged = pol(`
path "kv/foo"          { capabilities = ["update", "read"] }
path "kv/bar"          { capabilities = ["update", "read"] }
path "kv/path/*"       { capabilities = ["read"] }
path "kv/path/longer"  { capabilities = ["read"] }
path "kv/path/longer3" { capabilities = ["read"] }
path "kv/deny"         { capabilities = ["update"] }`, "granting_policy_merged");
    const rows: Array<[VaultPolicy[], Capability, string, boolean]> = [
      [[granting], "read", "kv/foo", true],
      [[granting], "update", "kv/foo", true],
      [[granting], "read", "kv/bad", false],
      [[granting], "read", "kv/deny", false],
      [[granting], "read", "kv/path/foo", true],
      [[granting], "read", "kv/path/longer", true],
      [[granting, merged], "read", "kv/foo", true],
      [[granting, merged], "read", "kv/path/longer3", true],
      [[granting, merged], "read", "kv/bar", true],
      [[granting, merged], "read", "kv/deny", false],
      [[granting, merged], "update", "kv/path/longer", true],
      [[granting, merged], "read", "kv/path/foo", true],
      [[granting, merged], "recover", "ns1/kv/foo", true],
    ];
    for (const [policies, cap, path, allowed] of rows) expect(can(policies, path, cap), `${cap} ${path}`).toBe(allowed);
  });
});

describe("behaviour read from vault/acl.go [CODE]", () => {
  it("LIST on 'x/' also matches an exact rule for 'x' (trailing-slash fallback)", () => {
    const p = [pol(`path "secret/metadata/app" { capabilities = ["list"] }`)];
    expect(can(p, "secret/metadata/app/", "list")).toBe(true);
    expect(evaluate(p, "secret/metadata/app/").has("list")).toBe(false); // not a LIST request
  });

  it("LIST on 'x/' tries the non-exact rules against 'x' first", () => {
    const p = [pol(`path "secret/+" { capabilities = ["list"] }\npath "secret/+/*" { capabilities = ["read"] }`)];
    expect(sorted(evaluate(p, "secret/foo/", { listOperation: true }))).toEqual(["list"]);
    expect(capsOf(p, "secret/foo/")).toEqual(["read"]);
  });

  it("'+' matches an empty segment too (acl.go only compares segments; docs: 'any number of characters')", () => {
    const p = [pol(`path "secret/+/teamb" { capabilities = ["read"] }`)];
    expect(capsOf(p, "secret//teamb")).toEqual(["read"]);
  });

  it("can(.., 'deny') is always false: a deny yields no capabilities", () => {
    const p = [pol(`path "a" { capabilities = ["deny"] }`)];
    expect(can(p, "a", "deny")).toBe(false);
    expect(capsOf(p, "a")).toEqual([]);
  });
});
