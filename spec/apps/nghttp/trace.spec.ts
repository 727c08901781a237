import test from 'ava';
import { FramePrinter } from '../../../lib/apps/printer/printer';
import { NghttpTrace, printerCategory } from '../../../lib/apps/nghttp/trace';
import { Flag, FrameType } from '../../../lib/protocol/frame/constants';
import type { Frame, HeaderField } from '../../../lib/protocol/frame/types';

function setup(opts: { padding?: number; holdData?: boolean } = {}) {
  let out = '';
  const printer = new FramePrinter({ write: (s) => (out += s), now: () => 0, startTime: 0 });
  const trace = new NghttpTrace({ printer, enabled: true, holdData: opts.holdData ?? true, padding: opts.padding });
  return { trace, out: () => out.replace(/\[ *\d+\.\d+\]/g, '[T]') };
}

const headers: HeaderField[] = [
  [':method', 'GET'],
  [':path', '/'],
];

test('sent frames print only when flushed, in order', (t) => {
  const { trace, out } = setup();
  trace.sent({ type: FrameType.SETTINGS, flags: 0, streamId: 0, settings: [] } as Frame);
  t.is(out(), '');
  trace.flushSent();
  t.regex(out(), /^\[T\] send SETTINGS frame <length=0, flags=0x00, stream_id=0>\n/);
});

test('HEADERS + CONTINUATIONs print as one HEADERS line with the total length and END_HEADERS', (t) => {
  const { trace, out } = setup();
  const first = {
    type: FrameType.HEADERS,
    flags: Flag.END_STREAM,
    streamId: 13,
    fragment: Buffer.alloc(100),
    priority: { exclusive: false, dependsOn: 11, weight: 16 },
  } as Frame;
  trace.sent(first, headers, 'request');
  trace.sent({ type: FrameType.CONTINUATION, flags: 0, streamId: 13, fragment: Buffer.alloc(50) } as Frame);
  trace.flushSent();
  t.is(out(), '');
  trace.sent({ type: FrameType.CONTINUATION, flags: Flag.END_HEADERS, streamId: 13, fragment: Buffer.alloc(20) } as Frame);
  trace.flushSent();
  t.regex(
    out(),
    /^\[T\] send HEADERS frame <length=175, flags=0x25, stream_id=13>\n {10}; END_STREAM \| END_HEADERS \| PRIORITY\n {10}\(padlen=0, dep_stream_id=11, weight=16, exclusive=0\)\n {10}; Open new stream\n {10}:method: GET\n/,
  );
  t.notRegex(out(), /CONTINUATION/);
});

test('-b padding is shown as sent when the event frame carries none', (t) => {
  const { trace, out } = setup({ padding: 8 });
  trace.sent({ type: FrameType.DATA, flags: 0, streamId: 13, data: Buffer.alloc(15) } as Frame);
  trace.flushSent();
  t.regex(out(), /send DATA frame <length=23, flags=0x08, stream_id=13>\n {10}; PADDED\n {10}\(padlen=8\)\n/);
});

test('a received DATA line waits for its payload; any other event releases it', (t) => {
  const { trace, out } = setup();
  const data = { type: FrameType.DATA, flags: Flag.END_STREAM, streamId: 13, data: Buffer.from('x'), length: 1 } as Frame;
  trace.received(data);
  t.is(out(), '');
  t.true(trace.beforeEvent(13));
  trace.releaseData();
  t.regex(out(), /recv DATA frame <length=1, flags=0x01, stream_id=13>/);
  const { trace: t2, out: out2 } = setup();
  t2.received(data);
  t.false(t2.beforeEvent(undefined));
  t.regex(out2(), /recv DATA/);
  const { trace: t3, out: out3 } = setup({ holdData: false });
  t3.received(data);
  t.regex(out3(), /recv DATA/);
});

test('session categories map to the printer spelling', (t) => {
  t.is(printerCategory('push_response'), 'push-response');
  t.is(printerCategory('request'), 'request');
  t.is(printerCategory(undefined), undefined);
});

test('the CONTINUATION folding also works when the session already filled in length and flags', (t) => {
  const { trace, out } = setup();
  const first = {
    type: FrameType.HEADERS,
    flags: Flag.END_STREAM | Flag.PRIORITY,
    length: 105,
    streamId: 13,
    fragment: Buffer.alloc(100),
    priority: { exclusive: false, dependsOn: 11, weight: 16 },
  } as Frame;
  trace.sent(first, headers, 'request');
  trace.sent({ type: FrameType.CONTINUATION, flags: Flag.END_HEADERS, streamId: 13, fragment: Buffer.alloc(20), length: 20 } as Frame);
  trace.flushSent();
  t.regex(out(), /^\[T\] send HEADERS frame <length=125, flags=0x25, stream_id=13>\n/);
});
