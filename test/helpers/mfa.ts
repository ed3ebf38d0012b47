import assert from 'node:assert/strict';
import { outboxMessages } from './outbox.ts';

/**
 * A clock near real time (amazon-cognito-identity-js and Amplify sign their SRP TIMESTAMP with
 * the real time), starting one second into a TOTP step, that tests move on by whole steps.
 */
export class SteppedClock {
  private offset = Math.ceil(Date.now() / 30_000) * 30_000 + 1000 - Date.now();
  now(): number {
    return Date.now() + this.offset;
  }
  advance(ms: number): void {
    this.offset += ms;
  }
}

/** A fresh storage for amazon-cognito-identity-js, so one test's tokens never leak into another. */
export function memoryStorage() {
  const m = new Map<string, string>();
  return {
    setItem: (k: string, v: string) => void m.set(k, v),
    getItem: (k: string) => m.get(k) ?? null,
    removeItem: (k: string) => void m.delete(k),
    clear: () => m.clear(),
  };
}

/** The MFA code (six or eight digits) in the newest message to `to`, and how many messages there are. */
export async function mfaCode(url: string, to: string): Promise<string> {
  const messages = await outboxMessages(url, { to });
  assert.ok(messages.length, `no message to ${to} in the outbox`);
  const m = /\b(\d{6}|\d{8})\b/.exec(messages.at(-1).body);
  assert.ok(m, `no code in: ${messages.at(-1).body}`);
  return m[1];
}
