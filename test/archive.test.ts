/** The Broadcasts archive: retention nobody can shorten, a write-only writer, the job in the boot contract. */
import { describe, expect, it } from "vitest";
import { archiveBucketName } from "../src/archive/naming";
import { planInstance } from "../src/offline/planInProcess";
import { exampleConfig, examplePlan, ofType, ownerOf } from "./support/plans";

describe("Broadcasts archive on AWS (acme.mainnet)", () => {
  it("locks objects in COMPLIANCE mode for the retention period, versioned and never public", async () => {
    const { resources, config } = await examplePlan("acme.mainnet");
    const archive = resources.filter((r) => ownerOf(r) === "archive");
    const [bucket] = ofType(archive, "aws:s3/bucket:Bucket");
    expect(bucket.inputs).toMatchObject({ bucket: archiveBucketName("acme.mainnet"), objectLockEnabled: true, forceDestroy: false });
    expect((bucket.inputs as any).tags["zipnet-instance"]).toBe("acme_mainnet");
    expect(ofType(archive, "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration")[0].inputs).toMatchObject({
      rule: { defaultRetention: { mode: "COMPLIANCE", days: config.archive!.retentionDays } },
    });
    expect(ofType(archive, "aws:s3/bucketVersioning:BucketVersioning")[0].inputs).toMatchObject({ versioningConfiguration: { status: "Enabled" } });
    expect(ofType(archive, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")[0].inputs).toMatchObject({
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
  });

  it("gives the writer PutObject under the instance's prefix and nothing else, assumable by the aggregator", async () => {
    const { resources } = await examplePlan("acme.mainnet");
    const archive = resources.filter((r) => ownerOf(r) === "archive");
    const policy = JSON.parse((ofType(archive, "aws:iam/rolePolicy:RolePolicy")[0].inputs as any).policy);
    expect(policy.Statement).toEqual([{ Effect: "Allow", Action: ["s3:PutObject"], Resource: expect.stringMatching(/\/acme\.mainnet\/\*$/) }]);
    const trust = JSON.parse((ofType(archive, "aws:iam/role:Role")[0].inputs as any).assumeRolePolicy);
    expect(trust.Statement[0].Principal.AWS).toMatch(/^arn:aws:iam::123456789012:role\/agg-role/);
  });

  it("lets the aggregator assume the writer role from its own side too (an identity policy: cross-account needs both)", async () => {
    const { resources } = await examplePlan("acme.mainnet");
    const assume = resources.find((r) => r.urn.endsWith("::agg-archive-assume"))!;
    expect(ownerOf(assume)).toBe("agg");
    const writerArn = JSON.parse((resources.find((r) => r.urn.endsWith("::agg-vm"))!.inputs as any).userData).archive.writer;
    expect(JSON.parse((assume.inputs as any).policy).Statement).toEqual([{ Effect: "Allow", Action: "sts:AssumeRole", Resource: writerArn }]);
    // the role it is attached to is the aggregator's own
    expect((assume.inputs as any).role).toBe((resources.find((r) => r.urn.endsWith("::agg-role"))!.outputs as any).name);
  });

  it("tells the aggregator, and only it, to run the archiver job on the schedule", async () => {
    const { resources } = await examplePlan("acme.mainnet");
    const contracts = resources
      .filter((r) => /ec2\/instance:Instance|compute\/instance:Instance|compute:VirtualMachine/.test(r.type))
      .map((vm) => {
        const i = vm.inputs as any;
        return JSON.parse(i.metadata?.["user-data"] ?? (i.userData.startsWith("{") ? i.userData : Buffer.from(i.userData, "base64").toString()));
      });
    const withArchive = contracts.filter((c) => c.archive);
    expect(withArchive.map((c) => c.node)).toEqual(["agg"]);
    expect(withArchive[0].archive).toEqual({
      cloud: "aws",
      bucket: archiveBucketName("acme.mainnet"),
      prefix: "acme.mainnet/",
      schedule: "*/15 * * * *",
      writer: expect.stringMatching(/^arn:aws:iam::123456789012:role\/zn-archiver-[0-9a-f]{8}$/),
    });
  });

  it("derives distinct bucket names for names that differ only in dots and dashes", () => {
    expect(archiveBucketName("acme.main-net")).not.toBe(archiveBucketName("acme-main.net"));
    expect(archiveBucketName("a".repeat(40) + ".b")).toMatch(/^[a-z0-9-]{3,63}$/);
  });
});

describe("Broadcasts archive on GCP", () => {
  it("uses a bucket with a locked retention policy (no versioning: GCS refuses both) and an objectCreator-only writer the runner may impersonate", async () => {
    const runner = "zipnet-archiver-runner@acme-ops.iam.gserviceaccount.com";
    const config = exampleConfig("acme.mainnet", (raw) => Object.assign(raw.archive, { cloud: "gcp", account: "acme-archive", region: "us-east4", runner }));
    const plan = await planInstance(config, "acme.mainnet");
    const archive = plan.resources.filter((r) => ownerOf(r) === "archive");
    const [bucket] = ofType(archive, "gcp:storage/bucket:Bucket");
    expect(bucket.inputs).toMatchObject({
      uniformBucketLevelAccess: true,
      publicAccessPrevention: "enforced",
      // production: locked, so that no one (the deployer included) can shorten or remove it
      retentionPolicy: { retentionPeriod: String(730 * 86400), isLocked: true },
    });
    expect(bucket.inputs).not.toHaveProperty("versioning");
    expect(plan.deployChecks.findings).toEqual([]);
    expect(ofType(archive, "gcp:storage/bucketIAMMember:BucketIAMMember").map((m) => (m.inputs as any).role)).toEqual(["roles/storage.objectCreator"]);
    expect((ofType(archive, "gcp:serviceaccount/iAMMember:IAMMember")[0]?.inputs as any)?.member).toBe(`serviceAccount:${runner}`);
  });
});
