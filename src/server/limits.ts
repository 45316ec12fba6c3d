/** The server's limits and timeouts, with their defaults. */
export interface ServerLimits {
  /** Sessions open at once. Default 64. */
  maxSessions: number;
  /** Buffer collections one session may hold. Default 8. */
  maxCollectionsPerSession: number;
  /** A session that holds no call for this long is closed. Default 30 000 ms. */
  idleTimeoutMs: number;
}

export const DEFAULT_LIMITS: ServerLimits = {
  maxSessions: 64,
  maxCollectionsPerSession: 8,
  idleTimeoutMs: 30_000,
};

/** Buffers in one collection: 1 to this. Fuchsia's sysmem allows more; 16 is plenty for capture. */
export const MAX_BUFFER_COUNT = 16;
