/**
 * The live heap of a Node process started with `--inspect=127.0.0.1:0`: the heap used right
 * after a full collection, asked through the inspector protocol. Heap used between collections
 * is a sawtooth of garbage whose low points depend on when V8 happens to collect; what a leak
 * grows is what survives a full collection, so that is what a memory bound compares.
 */
import WebSocket from 'ws';

export class LiveHeapProbe {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (result: unknown) => void; reject: (error: Error) => void }>();

  private constructor(private readonly socket: WebSocket) {
    socket.on('message', (data) => {
      const message = JSON.parse(String(data)) as { id?: number; result?: unknown; error?: { message: string } };
      const call = message.id === undefined ? undefined : this.pending.get(message.id);
      if (!call) return;
      this.pending.delete(message.id!);
      if (message.error) call.reject(new Error(`inspector: ${message.error.message}`));
      else call.resolve(message.result);
    });
    socket.on('close', () => {
      for (const call of this.pending.values()) call.reject(new Error('inspector: connection closed'));
      this.pending.clear();
    });
  }

  /** Connects to the debugger URL the process printed ("Debugger listening on ws://…"). */
  static async connect(stderr: () => string, waitMs = 5000): Promise<LiveHeapProbe> {
    const until = Date.now() + waitMs;
    let url: string | undefined;
    while (!(url = /Debugger listening on (ws:\/\/\S+)/.exec(stderr())?.[1])) {
      if (Date.now() > until) throw new Error('the process printed no inspector URL (was it started with --inspect?)');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const socket = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    return new LiveHeapProbe(socket);
  }

  private call(method: string): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.socket.send(JSON.stringify({ id, method }));
    });
  }

  /** Heap used, in bytes, right after a full (forced) collection. */
  async liveHeapBytes(): Promise<number> {
    await this.call('HeapProfiler.collectGarbage');
    const usage = (await this.call('Runtime.getHeapUsage')) as { usedSize: number };
    return usage.usedSize;
  }

  close(): void {
    this.socket.close();
  }
}
