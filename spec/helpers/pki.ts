/**
 * A throw-away PKI for TLS specs, made with /usr/bin/openssl at test time: a CA, server
 * certificates for several names (SAN), a client certificate and an expired client certificate;
 * and {@link scratchPki}, a spec file's scratch directory with such a PKI in it, removed after
 * the file's last test.
 */
import test from 'ava';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/** Where openssl lives (specs skip when it is absent). */
export const OPENSSL = '/usr/bin/openssl';
export const hasOpenssl = (): boolean => fs.existsSync(OPENSSL);

/** Paths of one key and certificate. */
export interface KeyPair {
  key: string;
  cert: string;
}

/** The PKI: `dir` holds every file; `remove()` deletes it. */
export interface Pki {
  dir: string;
  ca: KeyPair;
  /** One server certificate per name given to makePki (CN and DNS SAN = the name), signed by the CA. */
  servers: Record<string, KeyPair>;
  /** A client certificate (CN=client) signed by the CA. */
  client: KeyPair;
  /** A client certificate (CN=expired) signed by the CA whose validity ended in 2020. */
  expiredClient: KeyPair;
  remove(): void;
}

function ossl(args: string[], cwd: string): void {
  execFileSync(OPENSSL, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

/**
 * Make a CA, server certificates for `names`, and two client certificates, in a new directory
 * under `parent`. Takes about a second.
 */
export function makePki(names: string[], parent = os.tmpdir()): Pki {
  const dir = fs.mkdtempSync(path.join(parent, 'pki-'));
  const p = (f: string) => path.join(dir, f);
  ossl(
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
      '-days',
      '2',
      '-subj',
      '/CN=Test CA',
    ],
    dir,
  );
  const leaf = (name: string, cn: string, ext: string) => {
    ossl(
      [
        'req',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        `${name}.key`,
        '-out',
        `${name}.csr`,
        '-subj',
        `/O=Test/CN=${cn}`,
      ],
      dir,
    );
    fs.writeFileSync(p(`${name}.ext`), ext);
    ossl(
      [
        'x509',
        '-req',
        '-in',
        `${name}.csr`,
        '-CA',
        'ca.crt',
        '-CAkey',
        'ca.key',
        '-CAcreateserial',
        '-out',
        `${name}.crt`,
        '-days',
        '2',
        '-extfile',
        `${name}.ext`,
      ],
      dir,
    );
    return { key: p(`${name}.key`), cert: p(`${name}.crt`) };
  };
  const servers: Record<string, KeyPair> = {};
  for (const n of names) servers[n] = leaf(n, n, `subjectAltName=DNS:${n}\nextendedKeyUsage=serverAuth\n`);
  const client = leaf('client', 'client', 'extendedKeyUsage=clientAuth\n');
  // An expired certificate needs explicit dates: `openssl ca` takes them.
  ossl(
    [
      'req',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      'expired.key',
      '-out',
      'expired.csr',
      '-subj',
      '/O=Test/CN=expired',
    ],
    dir,
  );
  fs.writeFileSync(p('index.txt'), '');
  fs.writeFileSync(p('serial'), '1000\n');
  fs.writeFileSync(
    p('ca.cnf'),
    [
      '[ca]',
      'default_ca=d',
      '[d]',
      `dir=${dir}`,
      'database=$dir/index.txt',
      'new_certs_dir=$dir',
      'serial=$dir/serial',
      'default_md=sha256',
      'policy=pol',
      'copy_extensions=none',
      'x509_extensions=ext',
      '[pol]',
      'commonName=supplied',
      'organizationName=optional',
      '[ext]',
      'extendedKeyUsage=clientAuth',
      '',
    ].join('\n'),
  );
  ossl(
    [
      'ca',
      '-batch',
      '-config',
      'ca.cnf',
      '-cert',
      'ca.crt',
      '-keyfile',
      'ca.key',
      '-in',
      'expired.csr',
      '-out',
      'expired.crt',
      '-startdate',
      '20200101000000Z',
      '-enddate',
      '20200102000000Z',
      '-notext',
    ],
    dir,
  );
  return {
    dir,
    ca: { key: p('ca.key'), cert: p('ca.crt') },
    servers,
    client,
    expiredClient: { key: p('expired.key'), cert: p('expired.crt') },
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

/** A spec file's scratch directory and PKI: see {@link scratchPki}. */
export interface ScratchPki {
  /** The scratch directory (made at first use). */
  readonly dir: string;
  /** The PKI, in the scratch directory (made at the first call: about a second of openssl). */
  pki(): Pki;
}

/**
 * A scratch directory for the spec file that calls this (at its top level: it registers the
 * file's `test.after.always` hook), named `<tmpdir>/<prefix>XXXXXX`, and a PKI with server
 * certificates for `names` inside it. Both are made on first use, so a file whose tests are
 * skipped (no openssl, no reference tool) makes neither; after the file's last test the directory
 * goes, with the PKI and whatever the tests wrote there.
 */
export function scratchPki(prefix: string, names: string[] = ['localhost']): ScratchPki {
  let dir: string | undefined;
  let pki: Pki | undefined;
  test.after.always(() => {
    if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
  });
  const scratch: ScratchPki = {
    get dir() {
      dir ??= fs.mkdtempSync(path.join(os.tmpdir(), prefix));
      return dir;
    },
    pki: () => {
      pki ??= makePki(names, scratch.dir);
      return pki;
    },
  };
  return scratch;
}
