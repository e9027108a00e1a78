/**
 * @module Splits Docker's multiplexed exec stream (8-byte frame headers: stream type, 3 zero
 * bytes, big-endian length) into stdout and stderr chunks, across arbitrary TCP chunking.
 */

export type Frame = { stream: "stdout" | "stderr"; data: Buffer };

export function createDemuxer(onFrame: (frame: Frame) => void): (chunk: Buffer) => void {
  let pending: Buffer = Buffer.alloc(0);
  return (chunk) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    while (pending.length >= 8) {
      const type = pending[0];
      const length = pending.readUInt32BE(4);
      if (pending.length < 8 + length) break;
      const data = pending.subarray(8, 8 + length);
      pending = pending.subarray(8 + length);
      // Type 1 is stdout, 2 stderr; 0 (stdin echo) never occurs without a TTY and is dropped.
      if (type === 1) onFrame({ stream: "stdout", data });
      else if (type === 2) onFrame({ stream: "stderr", data });
    }
  };
}
