/**
 * A minimal DER reader (ITU-T X.690) for the two structures nghttpx looks into: an OpenSSL
 * SSL_SESSION (its session ID, for `$tls_session_id`) and an OCSP response (RFC 6960, checked
 * before it is stapled). Reads definite-length TLVs only; anything malformed is an Error.
 */

/** One TLV: its tag byte, and its contents as a view of the input. */
export interface Tlv {
  tag: number;
  value: Buffer;
}

/** The TLV at `offset` and where the next one starts. */
export function readTlv(buf: Buffer, offset = 0): { tlv: Tlv; next: number } {
  if (offset + 2 > buf.length) throw new Error('DER: truncated');
  const tag = buf[offset];
  if ((tag & 0x1f) === 0x1f) throw new Error('DER: multi-byte tags are not read');
  let len = buf[offset + 1];
  let p = offset + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    // "In the definite form ... the initial octet ... shall not have the value 0x80" (indefinite).
    if (n === 0 || n > 4 || p + n > buf.length) throw new Error('DER: bad length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[p + i];
    p += n;
  }
  if (p + len > buf.length) throw new Error('DER: truncated');
  return { tlv: { tag, value: buf.subarray(p, p + len) }, next: p + len };
}

/** The TLVs inside a constructed value (a SEQUENCE's or an explicit tag's contents). */
export function children(value: Buffer): Tlv[] {
  const out: Tlv[] = [];
  for (let p = 0; p < value.length; ) {
    const { tlv, next } = readTlv(value, p);
    out.push(tlv);
    p = next;
  }
  return out;
}

const SEQUENCE = 0x30;
const INTEGER = 0x02;
const OCTET_STRING = 0x04;
const ENUMERATED = 0x0a;

function expect(t: Tlv | undefined, tag: number, what: string): Tlv {
  if (!t || t.tag !== tag) throw new Error(`DER: ${what} expected`);
  return t;
}

/**
 * The session ID of an OpenSSL SSL_SESSION as `i2d_SSL_SESSION` writes it (Node's
 * `getSession()`): SEQUENCE { version, sslVersion, cipher, sessionID OCTET STRING, ... }.
 */
export function sessionIdOf(session: Buffer): Buffer {
  const seq = children(expect(readTlv(session).tlv, SEQUENCE, 'SSL_SESSION').value);
  return expect(seq[3], OCTET_STRING, 'session ID').value;
}

/** Unsigned big-endian INTEGER contents as lowercase hex without leading zeros (as a number prints). */
function integerHex(v: Buffer): string {
  return v.toString('hex').replace(/^0+(?=.)/, '');
}

/** id-pkix-ocsp-basic, 1.3.6.1.5.5.7.48.1.1, as DER OBJECT IDENTIFIER contents. */
const ID_PKIX_OCSP_BASIC = Buffer.from('2b0601050507300101', 'hex');

/**
 * What an OCSP response says, as far as stapling needs: RFC 6960 section 4.2.1
 * `OCSPResponse ::= SEQUENCE { responseStatus, responseBytes [0] EXPLICIT ResponseBytes OPTIONAL }`,
 * the BasicOCSPResponse's `tbsResponseData.responses`, and each SingleResponse's certificate serial
 * (lowercase hex) and status (`good`, `revoked`, `unknown`).
 */
export function parseOcspResponse(der: Buffer): OcspResponse {
  const top = children(expect(readTlv(der).tlv, SEQUENCE, 'OCSPResponse').value);
  const status = expect(top[0], ENUMERATED, 'responseStatus').value[0] ?? -1;
  if (status !== 0) return { status, single: [], signed: undefined };
  const bytes = children(expect(top[1], 0xa0, 'responseBytes').value);
  const rb = children(expect(bytes[0], SEQUENCE, 'ResponseBytes').value);
  if (!expect(rb[0], 0x06, 'responseType').value.equals(ID_PKIX_OCSP_BASIC)) throw new Error('OCSP: not a basic response');
  const basicDer = expect(rb[1], OCTET_STRING, 'response').value;
  const basicTop = readTlv(basicDer).tlv;
  const basic = children(expect(basicTop, SEQUENCE, 'BasicOCSPResponse').value);
  const tbs = children(expect(basic[0], SEQUENCE, 'tbsResponseData').value);
  // BasicOCSPResponse ::= SEQUENCE { tbsResponseData, signatureAlgorithm, signature BIT STRING,
  // certs [0] EXPLICIT SEQUENCE OF Certificate OPTIONAL }: the signed bytes are the whole
  // tbsResponseData TLV.
  const tbsStart = basicTop.value.byteOffset - basicDer.byteOffset;
  const tbsEnd = readTlv(basicDer, tbsStart).next;
  const algorithm = children(expect(basic[1], SEQUENCE, 'signatureAlgorithm').value);
  const bits = expect(basic[2], 0x03, 'signature').value;
  const certs = basic[3]?.tag === 0xa0 ? children(expect(children(basic[3].value)[0], SEQUENCE, 'certs').value).map((c) => derOf(c)) : [];
  // ResponseData ::= SEQUENCE { version [0] EXPLICIT DEFAULT v1, responderID, producedAt, responses, ... }
  const fields = tbs[0]?.tag === 0xa0 ? tbs.slice(1) : tbs;
  const responses = children(expect(fields[2], SEQUENCE, 'responses').value);
  const single = responses.map((r) => {
    const sr = children(expect(r, SEQUENCE, 'SingleResponse').value);
    // CertID ::= SEQUENCE { hashAlgorithm, issuerNameHash, issuerKeyHash, serialNumber }
    const certId = children(expect(sr[0], SEQUENCE, 'CertID').value);
    const serial = integerHex(expect(certId[3], INTEGER, 'serialNumber').value);
    // CertStatus ::= CHOICE { good [0] IMPLICIT NULL, revoked [1] IMPLICIT RevokedInfo, unknown [2] IMPLICIT UnknownInfo }
    const tag = sr[1]?.tag ?? -1;
    const certStatus = tag === 0x80 ? 'good' : tag === 0xa1 ? 'revoked' : tag === 0x82 ? 'unknown' : 'bad';
    return { serial, certStatus };
  });
  return {
    status,
    single,
    signed: {
      tbs: basicDer.subarray(tbsStart, tbsEnd),
      algorithm: expect(algorithm[0], 0x06, 'algorithm').value.toString('hex'),
      signature: bits.subarray(1),
      certs,
    },
  };
}

/** A TLV's full encoding (header and contents) again, from its contents view. */
function derOf(t: Tlv): Buffer {
  const len = t.value.length;
  const head =
    len < 0x80
      ? Buffer.from([t.tag, len])
      : len < 0x100
        ? Buffer.from([t.tag, 0x81, len])
        : len < 0x10000
          ? Buffer.from([t.tag, 0x82, len >> 8, len & 0xff])
          : Buffer.from([t.tag, 0x83, len >> 16, (len >> 8) & 0xff, len & 0xff]);
  return Buffer.concat([head, t.value]);
}

/** An OCSP response as far as stapling needs it (see {@link parseOcspResponse}). */
export interface OcspResponse {
  /** responseStatus: 0 = successful. */
  status: number;
  /** Each SingleResponse: certificate serial (lowercase hex) and status. */
  single: { serial: string; certStatus: string }[];
  /** The BasicOCSPResponse's signed part, algorithm OID (hex of its DER contents), signature and certificates (DER). */
  signed: { tbs: Buffer; algorithm: string; signature: Buffer; certs: Buffer[] } | undefined;
}
