// Verifies a Sigstore bundle with sigstore-js's verifier (@sigstore/verify,
// pinned in npm/package-lock.json), offline: the trust material has no
// certificate authority, transparency log or timestamp authority, only the
// given public key, returned for exactly the given key hint; the thresholds
// for transparency-log entries, CT-log entries and timestamps are zero. A
// DSSE bundle's signature is checked over the envelope's PAE.
// Prints `OK` (exit 0) or `FAIL <reason>` (exit 1); exit 2 when an input
// cannot be read.
// Usage: node tests/conformance/sigstore_verify.cjs BUNDLE.json PUBKEY.pem KEYID
const { readFileSync } = require("node:fs");
const { createPublicKey } = require("node:crypto");
const { join } = require("node:path");
const modules = join(__dirname, "npm", "node_modules");
const { bundleFromJSON } = require(join(modules, "@sigstore", "bundle"));
const { Verifier, toSignedEntity } = require(join(modules, "@sigstore", "verify"));

const [bundlePath, keyPath, keyid] = process.argv.slice(2);
if (!bundlePath || !keyPath || keyid === undefined) {
  console.error("usage: sigstore_verify.cjs BUNDLE.json PUBKEY.pem KEYID");
  process.exit(2);
}
let json, key;
try {
  json = readFileSync(bundlePath, "utf8");
  key = createPublicKey(readFileSync(keyPath));
} catch (e) {
  console.error(e.message);
  process.exit(2);
}
const trust = {
  certificateAuthorities: [],
  timestampAuthorities: [],
  tlogs: [],
  ctlogs: [],
  publicKey: (hint) => {
    if (hint !== keyid) throw new Error(`no key for hint ${JSON.stringify(hint)}`);
    return { publicKey: key, validFor: () => true };
  },
};
try {
  const bundle = bundleFromJSON(JSON.parse(json));
  const verifier = new Verifier(trust, { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 });
  verifier.verify(toSignedEntity(bundle));
  console.log(`OK mediaType=${bundle.mediaType}`);
} catch (e) {
  console.log(`FAIL ${e.code || e.name}: ${e.message}`);
  process.exit(1);
}
