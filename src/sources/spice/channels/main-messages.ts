import { ByteReader } from '../wire/reader';
import { SpiceProtocolError } from '../wire/errors';

export interface MainInit {
  sessionId: number;
  displayChannelsHint: number;
}

export function parseMainInit(body: Buffer): MainInit {
  const r = new ByteReader(body, 0, 'MAIN_INIT');
  const sessionId = r.u32('session_id');
  const displayChannelsHint = r.u32('display_channels_hint');
  r.u32('supported_mouse_modes');
  r.u32('current_mouse_mode');
  r.u32('agent_connected');
  r.u32('agent_tokens');
  r.u32('multi_media_time');
  r.u32('ram_hint');
  return { sessionId, displayChannelsHint };
}

export interface ChannelId {
  type: number;
  id: number;
}

export function parseChannelsList(body: Buffer): ChannelId[] {
  const r = new ByteReader(body, 0, 'CHANNELS_LIST');
  const count = r.u32('num_of_channels');
  if (count > 1024) throw new SpiceProtocolError(`CHANNELS_LIST: num_of_channels ${count} is implausible`);
  r.need(count * 2, 'channels');
  const out: ChannelId[] = [];
  for (let i = 0; i < count; i++) out.push({ type: r.u8(`channels[${i}].type`), id: r.u8(`channels[${i}].id`) });
  return out;
}
