import type { Sql } from '../db.ts';

/** A user's device as stored (devices): issued at sign-in, tracked once ConfirmDevice has run. */
export interface DeviceRecord {
  poolId: string;
  /** `<region>_<uuid>`, unique across pools. */
  deviceKey: string;
  usernameKey: string;
  /** The DeviceGroupKey issued with the key: the "pool name" of the device's SRP. */
  groupKey: string;
  /** 'pending' from NewDeviceMetadata until ConfirmDevice; only 'confirmed' devices exist for the API. */
  status: 'pending' | 'confirmed';
  remembered: 'remembered' | 'not_remembered' | null;
  name: string | null;
  /** The device's SRP salt and verifier, lower-case hex, as the user's srp_salt / srp_verifier. */
  srpSalt: string | null;
  srpVerifier: string | null;
  lastIp: string | null;
  createdAt: number;
  updatedAt: number;
  lastAuthenticatedAt: number | null;
  /** A pending device is dropped after this (ms); null once confirmed. */
  expiresAt: number | null;
}

interface Row {
  pool_id: string;
  device_key: string;
  username_key: string;
  device_group_key: string;
  status: string;
  remembered_status: string | null;
  device_name: string | null;
  srp_salt: string | null;
  srp_verifier: string | null;
  last_ip: string | null;
  created_at: number;
  updated_at: number;
  last_authenticated_at: number | null;
  expires_at: number | null;
}

const num = (v: number | null | undefined) => (v === null || v === undefined ? null : Number(v));

const fromRow = (r: Row): DeviceRecord => ({
  poolId: r.pool_id,
  deviceKey: r.device_key,
  usernameKey: r.username_key,
  groupKey: r.device_group_key,
  status: r.status === 'confirmed' ? 'confirmed' : 'pending',
  remembered: r.remembered_status === 'remembered' || r.remembered_status === 'not_remembered' ? r.remembered_status : null,
  name: r.device_name,
  srpSalt: r.srp_salt,
  srpVerifier: r.srp_verifier,
  lastIp: r.last_ip,
  createdAt: Number(r.created_at),
  updatedAt: Number(r.updated_at),
  lastAuthenticatedAt: num(r.last_authenticated_at),
  expiresAt: num(r.expires_at),
});

/** Devices of users (remembered devices). They go with their user (FK cascade). */
export class DeviceRepo {
  constructor(private readonly sql: Sql) {}

  async get(poolId: string, deviceKey: string): Promise<DeviceRecord | undefined> {
    const row = await this.sql.get<Row>('SELECT * FROM devices WHERE pool_id = ? AND device_key = ?', [poolId, deviceKey]);
    return row && fromRow(row);
  }

  async insert(d: DeviceRecord): Promise<void> {
    await this.sql.run(
      `INSERT INTO devices (pool_id, device_key, username_key, device_group_key, status, remembered_status, device_name,
         srp_salt, srp_verifier, last_ip, created_at, updated_at, last_authenticated_at, expires_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        d.poolId,
        d.deviceKey,
        d.usernameKey,
        d.groupKey,
        d.status,
        d.remembered,
        d.name,
        d.srpSalt,
        d.srpVerifier,
        d.lastIp,
        d.createdAt,
        d.updatedAt,
        d.lastAuthenticatedAt,
        d.expiresAt,
      ],
    );
  }

  /** Writes every mutable field of a device. */
  async update(d: DeviceRecord): Promise<void> {
    await this.sql.run(
      `UPDATE devices SET status = ?, remembered_status = ?, device_name = ?, srp_salt = ?, srp_verifier = ?, last_ip = ?,
         updated_at = ?, last_authenticated_at = ?, expires_at = ?
       WHERE pool_id = ? AND device_key = ?`,
      [d.status, d.remembered, d.name, d.srpSalt, d.srpVerifier, d.lastIp, d.updatedAt, d.lastAuthenticatedAt, d.expiresAt, d.poolId, d.deviceKey],
    );
  }

  /** Records a device authentication (DEVICE_PASSWORD_VERIFIER) without touching anything else. */
  async touchAuthenticated(poolId: string, deviceKey: string, now: number): Promise<void> {
    await this.sql.run('UPDATE devices SET last_authenticated_at = ? WHERE pool_id = ? AND device_key = ?', [now, poolId, deviceKey]);
  }

  /** Deletes a device; true when there was one. */
  async delete(poolId: string, deviceKey: string): Promise<boolean> {
    const r = await this.sql.run('DELETE FROM devices WHERE pool_id = ? AND device_key = ?', [poolId, deviceKey]);
    return r.changes > 0;
  }

  /** One page of a user's confirmed devices in device-key order, after `afterKey`. */
  async listConfirmed(poolId: string, usernameKey: string, afterKey: string | null, limit: number): Promise<DeviceRecord[]> {
    const rows = await this.sql.all<Row>(
      `SELECT * FROM devices WHERE pool_id = ? AND username_key = ? AND status = 'confirmed' AND device_key > ?
       ORDER BY device_key LIMIT ?`,
      [poolId, usernameKey, afterKey ?? '', limit],
    );
    return rows.map(fromRow);
  }

  /** Drops a user's pending devices whose time ran out (each new one prunes its user's old ones). */
  async prunePending(poolId: string, usernameKey: string, now: number): Promise<number> {
    const r = await this.sql.run(
      `DELETE FROM devices WHERE pool_id = ? AND username_key = ? AND status = 'pending' AND expires_at <= ?`,
      [poolId, usernameKey, now],
    );
    return r.changes;
  }
}
