/**
 * Google's launch endorsements, verified offline: endorsements made by a test certificate
 * authority with openssl (RSA-PSS root, a signing certificate it issues, the golden measurement
 * signed as gce-tcb-verifier's gcetcbendorsement/verify.go documents), then broken one way each.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { BinaryWriter } from "google-protobuf";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { main } from "../../src/cli/main";
import { EndorsementError, mrtdsFor, verifyEndorsement } from "../../src/measurements/endorsement";
import { toolSuite } from "../support/tools";

const MRTD_ANY = "a1".repeat(48);
const MRTD_16G = "b2".repeat(48);

/** A VMGoldenMeasurement (proto/endorsement.proto) with the signing certificate and TDX measurements. */
function golden(certDer: Buffer, measurements: { ramGib: number; mrtd: string }[]): Buffer {
  const tdx = new BinaryWriter();
  tdx.writeUint32(1, 7); // svn
  for (const m of measurements) {
    tdx.writeMessage(2, m, (mm: typeof m, w: BinaryWriter) => {
      if (mm.ramGib) w.writeUint32(1, mm.ramGib);
      w.writeBytes(3, Buffer.from(mm.mrtd, "hex"));
    });
  }
  const g = new BinaryWriter();
  g.writeUint64(2, 123456); // cl_spec
  g.writeBytes(4, certDer);
  g.writeBytes(5, Buffer.alloc(48, 0x5a)); // firmware SHA-384
  g.writeBytes(8, tdx.getResultBuffer());
  return Buffer.from(g.getResultBuffer());
}

function endorsement(goldenBytes: Buffer, signature: Buffer): Buffer {
  const w = new BinaryWriter();
  w.writeBytes(1, goldenBytes);
  w.writeBytes(2, signature);
  return Buffer.from(w.getResultBuffer());
}

const suite = toolSuite("launch endorsements from a test CA made with openssl", "openssl");
describe.skipIf(suite.skip)(suite.title, () => {
  let dir: string;
  const sh = (cmd: string) => execFileSync("bash", ["-euo", "pipefail", "-c", cmd], { cwd: dir, stdio: "pipe" });
  /** Signs a file's bytes as Google's signer does: RSASSA-PSS, SHA-256, MGF1-SHA-256, salt 32 (or another padding). */
  const signWith = (file: string, padding = "-pkeyopt rsa_padding_mode:pss -pkeyopt rsa_pss_saltlen:32 -pkeyopt rsa_mgf1_md:sha256") => {
    sh(`openssl dgst -sha256 -binary ${file} > ${file}.sha256 && openssl pkeyutl -sign -inkey signer.key ${padding} -pkeyopt digest:sha256 -in ${file}.sha256 -out ${file}.sig`);
    return readFileSync(path.join(dir, `${file}.sig`));
  };
  let root: string;
  let otherRoot: string;
  let certDer: Buffer;

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), "endorsement-"));
    const pss = "-sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:32 -sha256";
    for (const name of ["root", "other"]) {
      sh(`openssl genpkey -algorithm RSA-PSS -pkeyopt rsa_keygen_bits:2048 -out ${name}.key 2>/dev/null`);
      sh(`openssl req -x509 -new -key ${name}.key -subj "/CN=GCE-cc-tcb-root/O=test ${name}" -days 3650 ${pss} -out ${name}.crt`);
    }
    sh("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out signer.key 2>/dev/null");
    sh('openssl req -new -key signer.key -subj "/CN=GCE-uefi-signing-key/O=test" -out signer.csr');
    sh(`openssl x509 -req -in signer.csr -CA root.crt -CAkey root.key -CAcreateserial -days 365 ${pss} -out signer.crt 2>/dev/null`);
    sh("openssl x509 -in signer.crt -outform DER -out signer.der");
    root = readFileSync(path.join(dir, "root.crt"), "utf8");
    otherRoot = readFileSync(path.join(dir, "other.crt"), "utf8");
    certDer = readFileSync(path.join(dir, "signer.der"));
  }, 60_000);

  function made(measurements = [{ ramGib: 0, mrtd: MRTD_ANY }, { ramGib: 16, mrtd: MRTD_16G }], padding?: string) {
    const g = golden(certDer, measurements);
    writeFileSync(path.join(dir, "golden.bin"), g);
    return { g, file: endorsement(g, signWith("golden.bin", padding)) };
  }

  it("a valid endorsement: the MR_TDs for the node's memory size, the any-size entry included", () => {
    const e = verifyEndorsement(made().file, root);
    expect(e.svn).toBe(7);
    expect(e.signer).toContain("CN=GCE-uefi-signing-key");
    expect(mrtdsFor(e, 16)).toEqual([MRTD_ANY, MRTD_16G]);
    expect(mrtdsFor(e, 32)).toEqual([MRTD_ANY]);
  });

  it("a wrong memory size: only a size's own entries and any-size entries count", () => {
    const e = verifyEndorsement(made([{ ramGib: 16, mrtd: MRTD_16G }]).file, root);
    expect(mrtdsFor(e, 16)).toEqual([MRTD_16G]);
    expect(mrtdsFor(e, 32)).toEqual([]);
  });

  it("a tampered payload (one MR_TD byte changed after signing) is refused", () => {
    const { file } = made();
    const at = file.indexOf(Buffer.from(MRTD_ANY, "hex"));
    expect(at).toBeGreaterThan(0);
    const tampered = Buffer.from(file);
    tampered[at] ^= 0xff;
    expect(() => verifyEndorsement(tampered, root)).toThrow(/^signature: expected RSASSA-PSS .*does not verify$/);
  });

  it("another root is refused", () => {
    expect(() => verifyEndorsement(made().file, otherRoot)).toThrow(/signing certificate .*expected one issued and signed by the pinned root/);
  });

  it("a PKCS#1 v1.5 signature (wrong padding) is refused", () => {
    expect(() => verifyEndorsement(made(undefined, "-pkeyopt rsa_padding_mode:pkcs1").file, root)).toThrow(/^signature: expected RSASSA-PSS/);
  });

  it("a signing certificate not yet valid is refused", () => {
    expect(() => verifyEndorsement(made().file, root, new Date("2000-01-01T00:00:00Z"))).toThrow(/expected one valid at 2000-01-01/);
  });

  it("check-endorsement: 0 and the MR_TD for the machine type; 1 for a tampered file; 2 for an unreadable root", async () => {
    const { file } = made();
    writeFileSync(path.join(dir, "e.binarypb"), file);
    const tampered = Buffer.from(file);
    tampered[tampered.indexOf(Buffer.from(MRTD_16G, "hex"))] ^= 1;
    writeFileSync(path.join(dir, "t.binarypb"), tampered);
    const run = async (args: string[]) => {
      const out: string[] = [];
      const err: string[] = [];
      const o = vi.spyOn(process.stdout, "write").mockImplementation((x: any) => (out.push(String(x)), true));
      const e = vi.spyOn(process.stderr, "write").mockImplementation((x: any) => (err.push(String(x)), true));
      try {
        return { code: await main(args), out: out.join(""), err: err.join("") };
      } finally {
        o.mockRestore();
        e.mockRestore();
      }
    };
    const ok = await run(["check-endorsement", path.join(dir, "e.binarypb"), "--root", path.join(dir, "root.crt"), "--machine-type", "c3-standard-4"]);
    expect([ok.code, ok.err]).toEqual([0, ""]);
    expect(ok.out).toContain(`MR_TD for c3-standard-4 (16 GiB):\n  ${MRTD_ANY}  (any memory size)\n  ${MRTD_16G}  (per memory size, deprecated (VMM before Oct 2024))\n`);
    const bad = await run(["check-endorsement", path.join(dir, "t.binarypb"), "--root", path.join(dir, "root.crt")]);
    expect(bad.code).toBe(1);
    expect(bad.out).toMatch(/^NOT VERIFIED: .*t\.binarypb: signature: expected RSASSA-PSS/);
    writeFileSync(path.join(dir, "junk.binarypb"), Buffer.from([0x0f, 0xff, 0x00, 0x13]));
    const junk = await run(["check-endorsement", path.join(dir, "junk.binarypb"), "--root", path.join(dir, "root.crt")]);
    expect([junk.code, junk.err]).toEqual([2, expect.stringMatching(/junk\.binarypb: VMLaunchEndorsement: expected a protobuf message, found bytes that do not parse as one/)]);
    writeFileSync(path.join(dir, "empty.binarypb"), "");
    expect((await run(["check-endorsement", path.join(dir, "empty.binarypb"), "--root", path.join(dir, "root.crt")])).code).toBe(2);
    const noRoot = await run(["check-endorsement", path.join(dir, "e.binarypb"), "--root", path.join(dir, "missing.crt")]);
    expect([noRoot.code, noRoot.err]).toEqual([2, expect.stringMatching(/missing\.crt: expected Google's root certificate .*found no such file/)]);
    const badType = await run(["check-endorsement", path.join(dir, "e.binarypb"), "--root", path.join(dir, "root.crt"), "--machine-type", "n2-standard-4"]);
    expect([badType.code, badType.err]).toEqual([2, expect.stringMatching(/--machine-type: expected a C3 machine type .*found "n2-standard-4"/)]);
  });

  it("bytes that are not an endorsement say so", () => {
    expect(() => verifyEndorsement(Buffer.from("not a protobuf at all"), root)).toThrow(EndorsementError);
    expect(() => verifyEndorsement(made().file, "not a certificate")).toThrow(/^root: expected an X\.509 certificate/);
  });
});
