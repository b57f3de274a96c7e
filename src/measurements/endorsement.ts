/**
 * Google's launch endorsements for GCP TDX firmware, verified offline (docs/measurements.md).
 *
 * An endorsement (`gce_tcb_integrity/ovmf_x64_csm/tdx/<MR_TD>.binarypb`) is a `VMLaunchEndorsement`
 * protobuf (google/gce-tcb-verifier proto/endorsement.proto):
 *   VMLaunchEndorsement { bytes serialized_uefi_golden = 1; bytes signature = 2; }
 *   VMGoldenMeasurement { timestamp = 1; cl_spec = 2; commit = 3; bytes cert = 4 (DER);
 *                         bytes digest = 5 (SHA-384 of the UEFI); ca_bundle = 6; sev_snp = 7; VMTdx tdx = 8; }
 *   VMTdx { uint32 svn = 1; repeated Measurement measurements = 2; }
 *   Measurement { uint32 ram_gib = 1; bool early_accept = 2; bytes mrtd = 3; }
 * The signature is RSASSA-PSS, SHA-256, MGF1-SHA-256, salt 32 bytes, over the raw
 * `serialized_uefi_golden` bytes (verify/verify.go l.159-164; gcetcbendorsement/verify.go l.43-47),
 * by the key of `cert`, which the root signs directly ("No intermediates", sign/ops/verify.go).
 * A measurement with `ram_gib` 0 holds for any memory size (the hypervisor fixed in October 2024);
 * per-size entries are deprecated (cmd/endorse.go l.93-94).
 */
import { X509Certificate, constants, verify as verifySignature } from "node:crypto";
import { BinaryReader } from "google-protobuf";

export interface TdxMeasurement {
  /** 0: any memory size. */
  ramGib: number;
  earlyAccept: boolean;
  /** Lowercase hex, 96 characters. */
  mrtd: string;
}

export interface Endorsement {
  /** SHA-384 of the firmware binary, hex. */
  firmwareDigest: string;
  svn: number;
  measurements: TdxMeasurement[];
  /** The signing certificate's subject. */
  signer: string;
}

/** Why an endorsement cannot be trusted, or (`input`) is not an endorsement at all; the message says which. */
export class EndorsementError extends Error {
  constructor(
    message: string,
    readonly input = false,
  ) {
    super(message);
  }
}

type Fields = Map<number, (Uint8Array | number | boolean)[]>;

/** The fields of one protobuf message: length-delimited as bytes, varints as numbers. */
function fieldsOf(bytes: Uint8Array, what: string): Fields {
  const fields: Fields = new Map();
  const reader = new BinaryReader(bytes);
  try {
    while (reader.nextField()) {
      if (reader.isEndGroup()) break;
      const n = reader.getFieldNumber();
      const wire = reader.getWireType();
      let value: Uint8Array | number;
      if (wire === 2) value = reader.readBytes();
      else if (wire === 0) value = reader.readUint64();
      else {
        reader.skipField();
        continue;
      }
      fields.set(n, [...(fields.get(n) ?? []), value]);
    }
  } catch (err) {
    throw new EndorsementError(`${what}: expected a protobuf message, found bytes that do not parse as one`, true);
  }
  return fields;
}

function bytesField(f: Fields, n: number, what: string): Uint8Array {
  const v = f.get(n)?.[0];
  if (!(v instanceof Uint8Array)) throw new EndorsementError(`${what}: expected field ${n} (bytes), found none`, true);
  return v;
}

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

/** Reads the signed golden measurement without checking anything (verifyEndorsement checks). */
function parse(file: Uint8Array): { golden: Uint8Array; signature: Uint8Array; cert: Uint8Array; endorsement: Omit<Endorsement, "signer"> } {
  const outer = fieldsOf(file, "VMLaunchEndorsement");
  const golden = bytesField(outer, 1, "VMLaunchEndorsement.serialized_uefi_golden");
  const signature = bytesField(outer, 2, "VMLaunchEndorsement.signature");
  const g = fieldsOf(golden, "VMGoldenMeasurement");
  const cert = bytesField(g, 4, "VMGoldenMeasurement.cert");
  const digest = g.get(5)?.[0];
  const tdx = fieldsOf(bytesField(g, 8, "VMGoldenMeasurement.tdx"), "VMTdx");
  const measurements = (tdx.get(2) ?? []).map((m, i) => {
    const mf = fieldsOf(m as Uint8Array, `VMTdx.measurements[${i}]`);
    const mrtd = bytesField(mf, 3, `VMTdx.measurements[${i}].mrtd`);
    if (mrtd.length !== 48) throw new EndorsementError(`VMTdx.measurements[${i}].mrtd: expected 48 bytes, found ${mrtd.length}`, true);
    return { ramGib: Number(mf.get(1)?.[0] ?? 0), earlyAccept: Number(mf.get(2)?.[0] ?? 0) === 1, mrtd: hex(mrtd) };
  });
  return {
    golden,
    signature,
    cert,
    endorsement: { firmwareDigest: digest instanceof Uint8Array ? hex(digest) : "", svn: Number(tdx.get(1)?.[0] ?? 0), measurements },
  };
}

/**
 * Verifies an endorsement against a pinned root certificate (PEM or DER): the signing certificate
 * is issued by the root and valid at `now`, and the golden measurement carries its RSA-PSS
 * signature. Throws EndorsementError naming the check that failed.
 */
export function verifyEndorsement(file: Uint8Array, rootCert: Uint8Array | string, now: Date = new Date()): Endorsement {
  let root: X509Certificate;
  try {
    root = new X509Certificate(typeof rootCert === "string" ? rootCert : Buffer.from(rootCert));
  } catch {
    throw new EndorsementError("root: expected an X.509 certificate (PEM or DER), found something else", true);
  }
  const { golden, signature, cert, endorsement } = parse(file);
  let signer: X509Certificate;
  try {
    signer = new X509Certificate(Buffer.from(cert));
  } catch {
    throw new EndorsementError("VMGoldenMeasurement.cert: expected a DER certificate, found something else", true);
  }
  if (!signer.checkIssued(root) || !signer.verify(root.publicKey)) {
    throw new EndorsementError(`signing certificate "${signer.subject.replace(/\n/g, ", ")}": expected one issued and signed by the pinned root "${root.subject.replace(/\n/g, ", ")}", found another issuer or a bad signature`);
  }
  const t = now.getTime();
  if (t < Date.parse(signer.validFrom) || t > Date.parse(signer.validTo)) {
    throw new EndorsementError(`signing certificate: expected one valid at ${now.toISOString()}, found validity ${signer.validFrom} .. ${signer.validTo}`);
  }
  const ok = verifySignature("sha256", golden, { key: signer.publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, signature);
  if (!ok) throw new EndorsementError("signature: expected RSASSA-PSS (SHA-256, MGF1-SHA-256, salt 32) over serialized_uefi_golden by the signing certificate, found a signature that does not verify");
  return { ...endorsement, signer: signer.subject.replace(/\n/g, ", ") };
}

/** The MR_TDs an endorsement holds for a VM of `ramGib` GiB: its own size's entries and the any-size entries (ram_gib 0). */
export function mrtdsFor(endorsement: Endorsement, ramGib: number): string[] {
  return [...new Set(endorsement.measurements.filter((m) => m.ramGib === 0 || m.ramGib === ramGib).map((m) => m.mrtd))];
}

/** GiB of RAM per C3 machine type (gce-tcb-verifier tdx/endorsement.go shapeDesc, citing GCP's C3 table). */
export const C3_RAM_GIB: Readonly<Record<string, number>> = {
  "c3-standard-4": 16,
  "c3-standard-8": 32,
  "c3-standard-22": 88,
  "c3-standard-44": 176,
  "c3-standard-88": 352,
  "c3-standard-176": 704,
};
