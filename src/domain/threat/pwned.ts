import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';

/**
 * The operator's list of breached passwords (`--compromised-passwords-file`,
 * TOBIRA_COMPROMISED_PASSWORDS_FILE), in the format of the "Pwned Passwords" SHA-1 downloads:
 * one `SHA1HEX:COUNT` line per password, sorted by hash. The file may hold hundreds of millions
 * of lines, so it is never read whole: a binary search over byte offsets reads a few hundred
 * bytes at each of about log2(size) positions.
 */

/** Longest line read at one position; a Pwned Passwords line is about 50 bytes. */
const WINDOW = 256;

export function sha1Hex(password: string): string {
  return createHash('sha1').update(password, 'utf8').digest('hex').toUpperCase();
}

/** Whether the password's SHA-1 is in the sorted file. Throws when the file cannot be read. */
export async function inPwnedFile(file: string, password: string): Promise<boolean> {
  const target = sha1Hex(password);
  const fh = await open(file, 'r');
  try {
    const size = (await fh.stat()).size;
    const buf = Buffer.alloc(WINDOW + 1);
    /** The first line that starts at or after `pos`: its hash and the offset after it, or null past the end. */
    const lineFrom = async (pos: number): Promise<{ hash: string; end: number } | null> => {
      let start = pos;
      if (pos > 0) {
        // Back up one byte: when it is a newline, a line starts exactly at pos.
        const { bytesRead } = await fh.read(buf, 0, WINDOW + 1, pos - 1);
        const nl = buf.subarray(0, bytesRead).indexOf(10);
        if (nl < 0) return bytesRead < WINDOW + 1 ? null : { hash: '', end: pos - 1 + bytesRead }; // no line start here
        start = pos - 1 + nl + 1;
      }
      if (start >= size) return null;
      const { bytesRead } = await fh.read(buf, 0, WINDOW, start);
      const chunk = buf.subarray(0, bytesRead);
      const nl = chunk.indexOf(10);
      const line = (nl < 0 ? chunk : chunk.subarray(0, nl)).toString('latin1');
      return { hash: line.slice(0, 40).toUpperCase(), end: start + (nl < 0 ? bytesRead : nl + 1) };
    };
    let lo = 0;
    let hi = size;
    // Invariant: the target's line, if present, starts in [lo, hi).
    while (lo < hi) {
      const mid = lo + Math.floor((hi - lo) / 2);
      const line = await lineFrom(mid);
      if (!line) {
        hi = mid;
        continue;
      }
      if (line.hash === target) return true;
      // A malformed stretch (a line longer than the window) is stepped over.
      if (line.hash === '' || line.hash < target) lo = Math.max(line.end, mid + 1);
      else hi = mid;
    }
    return false;
  } finally {
    await fh.close();
  }
}
