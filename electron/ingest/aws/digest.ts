// Offline validation of CloudTrail's own integrity chain (issue "Acquisition
// from AWS", digest part). `aws cloudtrail validate-logs` needs the network and
// refuses copies on disk; TrailCase validates the copies preserved in a case.
// Full description: docs/cloudtrail-validation.md.
//
// Sources for every rule below: AWS CloudTrail User Guide "CloudTrail digest
// file structure" and "Custom implementations of CloudTrail log file integrity
// validation", and aws-cli awscli/customizations/cloudtrail/validation.py
// (Sha256RSADigestValidator, DigestTraverser).
//
// ---------------------------------------------------------------------------
// Exported API (the contract other modules call; this file only gathers it from
// digest-types.ts, cloudtrail-keys.ts, digest-parse.ts and digest-validate.ts)
//
//   validateCloudTrail(input: ValidateInput): ValidationResult
//     input.digests: { key, bucket?, bytes, signature?, signatureAlgorithm? }[]
//        key: S3 key or local path (only the part from "AWSLogs/" on is
//        compared); bytes: the object as stored (gzip or already inflated);
//        signature / signatureAlgorithm: the x-amz-meta-signature and
//        x-amz-meta-signature-algorithm values, null/absent when unknown
//        (folders from `aws s3 sync` have none).
//     input.logs: { key, bucket?, bytes }[]
//     input.publicKeys: PublicKeyEntry[] (parsePublicKeys of list-public-keys JSON)
//     input.options?: ValidateOptions
//   -> per log file one LogFileResult { status: LogFileStatus, detail, ... },
//      per digest one DigestResult (signature, chain, gap, status), and
//      `failures` (evidence of tampering or loss) vs `warnings` (could not
//      fully verify: gaps, missing keys, missing signatures). ok = no failures.
//
//   parseDigest(bytes, file, limits?): ParsedDigest      (throws DigestFormatError)
//   digestSigningString(digest, sha256HexOfInflatedDigest): string
//   verifyDigestSignature(parsed, signatureHex, key): boolean
//   parseCloudTrailKey(key): CloudTrailKeyInfo | null   (log / digest object names)
//   cloudTrailKeyPath(key): string                       (the "AWSLogs/..." part)
//   parsePublicKeys, publicKeyFingerprint, PublicKeyEntry   (re-exported from ./public-keys.ts)
//   gunzipStrict, GzipFormatError                           (re-exported from ../../case/gzip.ts)
// ---------------------------------------------------------------------------

export { gunzipStrict, gunzipStrictInfo, GzipFormatError, type GunzipLimits } from '../../case/gzip.ts';
export {
  parsePublicKeys,
  publicKeyFingerprint,
  publicKeysToJson,
  PublicKeyListError,
  type PublicKeyEntry,
} from './public-keys.ts';
export * from './digest-types.ts';
export { cloudTrailKeyPath, parseCloudTrailKey } from './cloudtrail-keys.ts';
export { digestSigningString, parseDigest, verifyDigestSignature } from './digest-parse.ts';
export { validateCloudTrail } from './digest-validate.ts';
