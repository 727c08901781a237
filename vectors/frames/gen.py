#!/usr/bin/env python3
"""Generate vectors/frames/frames.json: byte-exact frame vectors for every RFC 9113 frame type
(and ALTSVC, ORIGIN, PRIORITY_UPDATE, an unknown type) and each flag combination, built here with
struct.pack straight from the RFC layouts, independently of the TypeScript codec.
Run: /usr/bin/python3 vectors/frames/gen.py > vectors/frames/frames.json
Buffers in the expected frame objects are written as "hex:<hex>"."""
import json, struct

def hd(length, typ, flags, sid):
    return struct.pack('>I', length)[1:] + struct.pack('>BBI', typ, flags, sid)

def frame(typ, flags, sid, payload):
    return hd(len(payload), typ, flags, sid) + payload

def h(b):
    return 'hex:' + b.hex()

V = []
def add(name, raw, expect, parse_only=False):
    V.append({'name': name, 'hex': raw.hex(), 'frame': expect, **({'parseOnly': True} if parse_only else {})})

def prio(dep, weight, excl):
    return struct.pack('>IB', dep | (0x80000000 if excl else 0), weight - 1)

# DATA (0x0): flags END_STREAM 0x1, PADDED 0x8
body = b'hello'
for flags in (0x0, 0x1):
    add(f'DATA flags=0x{flags:02x}', frame(0, flags, 1, body),
        {'type': 0, 'flags': flags, 'streamId': 1, 'length': 5, 'data': h(body)})
for flags in (0x8, 0x9):
    pad = 3
    payload = bytes([pad]) + body + b'\0' * pad
    add(f'DATA flags=0x{flags:02x} padLength=3', frame(0, flags, 3, payload),
        {'type': 0, 'flags': flags, 'streamId': 3, 'length': len(payload), 'padLength': pad, 'data': h(body)})
add('DATA empty END_STREAM', frame(0, 1, 5, b''), {'type': 0, 'flags': 1, 'streamId': 5, 'length': 0, 'data': h(b'')})
add('DATA PADDED padLength=0 empty data', frame(0, 8, 5, b'\0'),
    {'type': 0, 'flags': 8, 'streamId': 5, 'length': 1, 'padLength': 0, 'data': h(b'')})
add('DATA unknown flag bit 0x20 kept', frame(0, 0x21, 7, b'x'), {'type': 0, 'flags': 0x21, 'streamId': 7, 'length': 1, 'data': h(b'x')})
add('DATA reserved stream-id bit ignored', hd(1, 0, 0, 0x80000007) + b'y',
    {'type': 0, 'flags': 0, 'streamId': 7, 'length': 1, 'data': h(b'y')}, parse_only=True)

# HEADERS (0x1): END_STREAM 0x1, END_HEADERS 0x4, PADDED 0x8, PRIORITY 0x20
block = bytes.fromhex('828684418aa0e41d139d09b8f01e07')  # RFC 7541 C.4.1
for es in (0, 1):
    for eh in (0, 4):
        for padded in (0, 8):
            for pr in (0, 0x20):
                flags = es | eh | padded | pr
                payload = b''
                exp = {'type': 1, 'flags': flags, 'streamId': 13}
                pad = 2 if padded else None
                if padded:
                    payload += bytes([pad])
                    exp['padLength'] = pad
                if pr:
                    payload += prio(11, 16, False)
                    exp['priority'] = {'exclusive': False, 'dependsOn': 11, 'weight': 16}
                payload += block
                if padded:
                    payload += b'\0' * pad
                exp['length'] = len(payload)
                exp['fragment'] = h(block)
                add(f'HEADERS flags=0x{flags:02x}', frame(1, flags, 13, payload), exp)
add('HEADERS PRIORITY exclusive weight=256', frame(1, 0x24, 3, prio(1, 256, True) + block),
    {'type': 1, 'flags': 0x24, 'streamId': 3, 'length': 5 + len(block),
     'priority': {'exclusive': True, 'dependsOn': 1, 'weight': 256}, 'fragment': h(block)})
add('HEADERS PRIORITY weight=1 dep=0', frame(1, 0x24, 3, prio(0, 1, False) + block),
    {'type': 1, 'flags': 0x24, 'streamId': 3, 'length': 5 + len(block),
     'priority': {'exclusive': False, 'dependsOn': 0, 'weight': 1}, 'fragment': h(block)})

# PRIORITY (0x2)
add('PRIORITY', frame(2, 0, 3, prio(0, 201, False)),
    {'type': 2, 'flags': 0, 'streamId': 3, 'length': 5, 'priority': {'exclusive': False, 'dependsOn': 0, 'weight': 201}})
add('PRIORITY exclusive', frame(2, 0, 9, prio(7, 1, True)),
    {'type': 2, 'flags': 0, 'streamId': 9, 'length': 5, 'priority': {'exclusive': True, 'dependsOn': 7, 'weight': 1}})

# RST_STREAM (0x3)
add('RST_STREAM CANCEL', frame(3, 0, 1, struct.pack('>I', 8)), {'type': 3, 'flags': 0, 'streamId': 1, 'length': 4, 'errorCode': 8})
add('RST_STREAM unknown code', frame(3, 0, 1, struct.pack('>I', 0xdeadbeef)),
    {'type': 3, 'flags': 0, 'streamId': 1, 'length': 4, 'errorCode': 0xdeadbeef})

# SETTINGS (0x4): ACK 0x1
add('SETTINGS empty', frame(4, 0, 0, b''), {'type': 4, 'flags': 0, 'streamId': 0, 'length': 0, 'settings': []})
add('SETTINGS ACK', frame(4, 1, 0, b''), {'type': 4, 'flags': 1, 'streamId': 0, 'length': 0, 'settings': []})
ss = [(3, 100), (4, 65535), (1, 0), (2, 0), (5, 16777215), (6, 0xffffffff), (8, 1), (9, 1), (0x99, 0xffffffff)]
add('SETTINGS every known id and an unknown one', frame(4, 0, 0, b''.join(struct.pack('>HI', i, v) for i, v in ss)),
    {'type': 4, 'flags': 0, 'streamId': 0, 'length': 6 * len(ss), 'settings': [{'id': i, 'value': v} for i, v in ss]})
add('SETTINGS INITIAL_WINDOW_SIZE 2^31-1', frame(4, 0, 0, struct.pack('>HI', 4, 2**31 - 1)),
    {'type': 4, 'flags': 0, 'streamId': 0, 'length': 6, 'settings': [{'id': 4, 'value': 2**31 - 1}]})

# PUSH_PROMISE (0x5): END_HEADERS 0x4, PADDED 0x8
pblock = bytes.fromhex('8287')
for eh in (0, 4):
    for padded in (0, 8):
        flags = eh | padded
        payload = b''
        exp = {'type': 5, 'flags': flags, 'streamId': 13}
        if padded:
            payload += bytes([4])
            exp['padLength'] = 4
        payload += struct.pack('>I', 2) + pblock
        if padded:
            payload += b'\0' * 4
        exp['length'] = len(payload)
        exp['promisedStreamId'] = 2
        exp['fragment'] = h(pblock)
        add(f'PUSH_PROMISE flags=0x{flags:02x}', frame(5, flags, 13, payload), exp)

# PING (0x6): ACK 0x1
od = bytes(range(1, 9))
for flags in (0, 1):
    add(f'PING flags=0x{flags:02x}', frame(6, flags, 0, od), {'type': 6, 'flags': flags, 'streamId': 0, 'length': 8, 'opaqueData': h(od)})

# GOAWAY (0x7)
add('GOAWAY NO_ERROR', frame(7, 0, 0, struct.pack('>II', 0, 0)),
    {'type': 7, 'flags': 0, 'streamId': 0, 'length': 8, 'lastStreamId': 0, 'errorCode': 0, 'debugData': h(b'')})
add('GOAWAY with debug data', frame(7, 0, 0, struct.pack('>II', 13, 1) + b'bad frame'),
    {'type': 7, 'flags': 0, 'streamId': 0, 'length': 17, 'lastStreamId': 13, 'errorCode': 1, 'debugData': h(b'bad frame')})
add('GOAWAY unknown code, max last stream id', frame(7, 0, 0, struct.pack('>II', 2**31 - 1, 0x1234)),
    {'type': 7, 'flags': 0, 'streamId': 0, 'length': 8, 'lastStreamId': 2**31 - 1, 'errorCode': 0x1234, 'debugData': h(b'')})

# WINDOW_UPDATE (0x8)
add('WINDOW_UPDATE connection', frame(8, 0, 0, struct.pack('>I', 1023)),
    {'type': 8, 'flags': 0, 'streamId': 0, 'length': 4, 'windowSizeIncrement': 1023})
add('WINDOW_UPDATE stream max', frame(8, 0, 13, struct.pack('>I', 2**31 - 1)),
    {'type': 8, 'flags': 0, 'streamId': 13, 'length': 4, 'windowSizeIncrement': 2**31 - 1})

# CONTINUATION (0x9): END_HEADERS 0x4
for flags in (0, 4):
    add(f'CONTINUATION flags=0x{flags:02x}', frame(9, flags, 13, block),
        {'type': 9, 'flags': flags, 'streamId': 13, 'length': len(block), 'fragment': h(block)})

# ALTSVC (0xa, RFC 7838)
o, fv = b'https://example.com', b'h2=":8443"; ma=60'
add('ALTSVC stream 0 with origin', frame(0xa, 0, 0, struct.pack('>H', len(o)) + o + fv),
    {'type': 0xa, 'flags': 0, 'streamId': 0, 'length': 2 + len(o) + len(fv), 'origin': o.decode(), 'fieldValue': fv.decode()})
add('ALTSVC on a stream, empty origin', frame(0xa, 0, 3, struct.pack('>H', 0) + fv),
    {'type': 0xa, 'flags': 0, 'streamId': 3, 'length': 2 + len(fv), 'origin': '', 'fieldValue': fv.decode()})

# ORIGIN (0xc, RFC 8336)
origins = [b'https://a.example', b'https://b.example:8443']
add('ORIGIN two entries', frame(0xc, 0, 0, b''.join(struct.pack('>H', len(x)) + x for x in origins)),
    {'type': 0xc, 'flags': 0, 'streamId': 0, 'length': sum(2 + len(x) for x in origins), 'origins': [x.decode() for x in origins]})
add('ORIGIN empty', frame(0xc, 0, 0, b''), {'type': 0xc, 'flags': 0, 'streamId': 0, 'length': 0, 'origins': []})

# PRIORITY_UPDATE (0x10, RFC 9218)
add('PRIORITY_UPDATE', frame(0x10, 0, 0, struct.pack('>I', 5) + b'u=1, i'),
    {'type': 0x10, 'flags': 0, 'streamId': 0, 'length': 10, 'prioritizedStreamId': 5, 'priorityFieldValue': 'u=1, i'})

# Unknown type
add('unknown type 0x2a passes through', frame(0x2a, 0xff, 5, b'\x01\x02\x03'),
    {'type': 0x2a, 'flags': 0xff, 'streamId': 5, 'length': 3, 'payload': h(b'\x01\x02\x03')})

# Real captures: nghttp2 1.52 on the wire (shared/reference/samples/nghttp-nv-hexdump-small-window.client.txt)
add('nghttpd SETTINGS as captured', bytes.fromhex('000006040000000000000300000064'),
    {'type': 4, 'flags': 0, 'streamId': 0, 'length': 6, 'settings': [{'id': 3, 'value': 100}]})
add('nghttp2 SETTINGS ACK as captured', bytes.fromhex('000000040100000000'),
    {'type': 4, 'flags': 1, 'streamId': 0, 'length': 0, 'settings': []})

json.dump(V, __import__('sys').stdout, indent=1)
print()
