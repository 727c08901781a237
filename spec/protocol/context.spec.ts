import test from 'ava';
import { bindDecoder, bindEncoder, bindMaxFrameSize, ConnectionContext, type SettingsChange } from '../../lib/protocol/context';
import { Setting } from '../../lib/protocol/frame/constants';

// Subscribers to a ConnectionContext are functions or objects with settingsChanged (the binders
// subscribe objects: no closure per connection), called in the order they subscribed.

test('ConnectionContext: function and object subscribers see each change in order; unsubscribing stops them', (t) => {
  const ctx = new ConnectionContext();
  const seen: string[] = [];
  const offFn = ctx.subscribe((c) => seen.push(`fn ${c.side} ${c.id}=${c.value}`));
  const offObj = ctx.subscribe({ settingsChanged: (c: SettingsChange) => seen.push(`obj ${c.side} ${c.id}=${c.value}`) });
  ctx.settingReceived(Setting.MAX_FRAME_SIZE, 20000);
  offFn();
  ctx.settingsSent([{ id: Setting.HEADER_TABLE_SIZE, value: 100 }]);
  ctx.settingsAcknowledged();
  offObj();
  ctx.settingReceived(Setting.MAX_FRAME_SIZE, 30000);
  t.deepEqual(seen, ['fn remote 5=20000', 'obj remote 5=20000', 'obj local 1=100']);
});

test('the binders follow the context: decoder (with the interval minimum), encoder, frame size as a function or a stage', (t) => {
  const ctx = new ConnectionContext();
  const calls: string[] = [];
  bindDecoder(ctx, { setMaxTableSize: (n) => calls.push(`decoder ${n}`) });
  bindEncoder(ctx, { setPeerMaxTableSize: (n) => calls.push(`encoder ${n}`) });
  bindMaxFrameSize(ctx, 'local', (n) => calls.push(`local frames ${n}`));
  bindMaxFrameSize(ctx, 'remote', { setMaxFrameSize: (n) => calls.push(`remote frames ${n}`) });
  ctx.settingReceived(Setting.HEADER_TABLE_SIZE, 0);
  ctx.settingReceived(Setting.MAX_FRAME_SIZE, 20000);
  ctx.settingsSent([
    { id: Setting.HEADER_TABLE_SIZE, value: 0 },
    { id: Setting.HEADER_TABLE_SIZE, value: 512 },
    { id: Setting.MAX_FRAME_SIZE, value: 32768 },
  ]);
  ctx.settingsAcknowledged();
  t.deepEqual(calls, ['encoder 0', 'remote frames 20000', 'decoder 0', 'decoder 512', 'local frames 32768']);
});
