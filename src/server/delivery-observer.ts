/**
 * What the capture manager tells whoever watches it (the metrics) about each frame it delivers:
 * enough to count deliveries and skips per transport and to time renders and latency, without
 * the manager knowing who listens.
 */
export type TransportName = 'inline' | 'shared_memory';

export interface DeliveryRecord {
  transport: TransportName;
  /** Frames latched between the session's previous frame and this one, which it never got. */
  framesSkipped: number;
  /** From the frame's latch to its delivery to the client, nanoseconds. */
  latchToDeliveryNs: bigint;
  /**
   * Rendering this client's pixels (zero when a render shared with another client was reused),
   * nanoseconds; for SHARED_MEMORY, writing them into its buffer (only what changed), which is
   * the render there.
   */
  renderNs: bigint;
}

export interface DeliveryObserver {
  delivered(record: DeliveryRecord): void;
}
