import { ChannelType } from '../wire/constants';
import { buildLinkMess, capWords, LINK_HEADER_SIZE, parseLinkHeader } from './link-messages';
import { ExactReader, openTransport, type TransportOptions } from './transport';

/**
 * Whether a SPICE server answers a link on this address, found without taking its session:
 * sends the main channel's link message, reads the reply header, and hangs up before the ticket.
 * spice-server drops its current client only once a main link's ticket is accepted
 * (reds_handle_main_link runs after reds_handle_ticket), so a user's viewer connected to the
 * server keeps its session through this probe (docs/spice.md, "Another client takes the VM").
 * False when the connection is refused, cut or the reply is not SPICE's.
 */
export async function serverAnswersLinks(options: TransportOptions): Promise<boolean> {
  let socket;
  try {
    socket = await openTransport(options);
  } catch {
    return false;
  }
  const reader = new ExactReader(socket);
  try {
    socket.write(
      buildLinkMess({ connectionId: 0, channelType: ChannelType.MAIN, channelId: 0, commonCaps: capWords([]), channelCaps: [] }),
    );
    parseLinkHeader(await reader.read(LINK_HEADER_SIZE, options.connectTimeoutMs, 'link reply header'));
    return true;
  } catch {
    return false;
  } finally {
    reader.detach();
    socket.destroy();
  }
}
