/**
 * mysql2 connections that give no credential to a server that has not proved who it is.
 *
 * - verify-ca / verify-identity: the chain (and, for verify-identity, the name: the node's IP or the VIP)
 *   is checked INSIDE the TLS handshake, before mysql2 sends the user and password. mysql2 checks names
 *   only for DNS hosts (base/connection.js startTLS: no servername for an IP), so the connection here
 *   checks the certificate against the address it dialled in the handshake's callback, which runs before
 *   client_handshake.js sends the credentials; a mismatch ends the connection there.
 * - disabled (plaintext, an explicit opt-in): caching_sha2_password and sha256_password would ask the
 *   SERVER for its RSA key and encrypt the password with whatever key comes back, so whoever answers at
 *   the address gets the password. Here a server-sent key is refused (MYSQL_SERVER_KEY_REFUSED): on
 *   plaintext only a cached fast authentication (a hash, never the password) can succeed.
 */
import { checkServerIdentity, type PeerCertificate } from "node:tls";
import mysql, { type Connection, type ConnectionOptions } from "mysql2";

export type TlsMode = "disabled" | "required" | "verify-ca" | "verify-identity";
export interface TlsOptions {
  mode: TlsMode;
  /** PEM of the CA, for verify-ca and verify-identity. */
  ca?: string;
}

/** mysql2's ssl option for a mode (the identity itself is checked by the connection, see above). */
export function sslOptions(t: TlsOptions | undefined): ConnectionOptions["ssl"] | undefined {
  if (!t || t.mode === "disabled") return undefined;
  if (t.mode === "required") return { rejectUnauthorized: false };
  return { ca: t.ca, rejectUnauthorized: true, verifyIdentity: false };
}

export class ServerKeyRefused extends Error {
  readonly code = "MYSQL_SERVER_KEY_REFUSED";
  constructor() {
    super(
      "the server asked to receive the password encrypted with its own RSA key over a plaintext connection: refused (anyone answering at this address could read it); turn TLS on (tls.mode verify-ca)",
    );
  }
}

/** The connection options that carry the TLS mode: ssl, and on plaintext auth plugins that refuse server keys. */
export function securityOptions(t: TlsOptions | undefined): Pick<ConnectionOptions, "ssl" | "authPlugins"> {
  const ssl = sslOptions(t);
  if (ssl) return { ssl };
  const refuse = () => {
    throw new ServerKeyRefused();
  };
  return {
    authPlugins: {
      caching_sha2_password: mysql.authPlugins.caching_sha2_password({ onServerPublicKey: refuse }),
      sha256_password: mysql.authPlugins.sha256_password({ onServerPublicKey: refuse }),
    },
  };
}

/** The certificate of a TLS socket names `host` (an IP or a name), Node's own rules; else the error. */
export function identityError(socket: unknown, host: string): Error | undefined {
  const cert = (socket as { getPeerCertificate?: () => PeerCertificate } | undefined)?.getPeerCertificate?.();
  if (!cert || Object.keys(cert).length === 0)
    return Object.assign(new Error("no server certificate to check the identity of"), {
      code: "ERR_TLS_CERT_ALTNAME_INVALID",
    });
  const err = checkServerIdentity(host, cert);
  return err ? Object.assign(err, { code: "ERR_TLS_CERT_ALTNAME_INVALID" }) : undefined;
}

/** mysql2's ConnectionConfig (exported by its index, not by its types). */
type Config = object;
const ConnectionConfig = (mysql as unknown as { ConnectionConfig: new (o: ConnectionOptions) => Config })
  .ConnectionConfig;
const BaseConnection = mysql.Connection as unknown as new (o: { config: Config }) => Connection;

/** A mysql2 connection that checks the server's name inside the TLS handshake, before any credential. */
class IdentityCheckedConnection extends BaseConnection {
  constructor(
    config: Config,
    private readonly expected: string,
  ) {
    super({ config });
  }

  startTLS(onSecure: (err?: Error) => void): void {
    // the secure callback runs before client_handshake.js sends the credentials; `stream` is the TLS socket
    (BaseConnection.prototype as unknown as { startTLS(cb: (err?: Error) => void): void }).startTLS.call(
      this,
      (err?: Error) => {
        if (err) return onSecure(err);
        const mismatch = identityError((this as unknown as { stream: unknown }).stream, this.expected);
        if (mismatch) {
          (this as unknown as { stream: { destroy(): void } }).stream.destroy();
          return onSecure(mismatch);
        }
        onSecure();
      },
    );
  }
}

/** mysql2's createConnection for a TLS mode: verify-identity checks the dialled address in the handshake. */
export function connectionFactory(t: TlsOptions | undefined): (options: ConnectionOptions) => Connection {
  if (t?.mode !== "verify-identity") return mysql.createConnection;
  return (options) => new IdentityCheckedConnection(new ConnectionConfig(options), String(options.host));
}
