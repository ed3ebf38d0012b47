import type { Sql } from '../db.ts';

/**
 * A classic hosted-UI customization (SetUICustomization): pool-wide (`target` 'ALL', clientId
 * null) or for one client (`target` = clientId), CSS and a logo, each optional.
 */
export interface UICustomization {
  poolId: string;
  target: string;
  clientId: string | null;
  css: string | null;
  /** The logo's bytes, base64. */
  image: string | null;
  /** The logo's media type, from its bytes: image/png or image/jpeg. */
  imageType: string | null;
  createdAt: number;
  updatedAt: number;
}

interface Row {
  pool_id: string;
  target: string;
  client_id: string | null;
  css: string | null;
  image: string | null;
  image_type: string | null;
  created_at: number;
  updated_at: number;
}

const fromRow = (r: Row): UICustomization => ({
  poolId: r.pool_id,
  target: r.target,
  clientId: r.client_id,
  css: r.css,
  image: r.image,
  imageType: r.image_type,
  createdAt: Number(r.created_at),
  updatedAt: Number(r.updated_at),
});

/** UI customizations; a client's goes with its client, all with their pool (FK cascade). */
export class UICustomizationRepo {
  constructor(private readonly sql: Sql) {}

  async get(poolId: string, target: string): Promise<UICustomization | undefined> {
    const row = await this.sql.get<Row>('SELECT * FROM ui_customizations WHERE pool_id = ? AND target = ?', [poolId, target]);
    return row && fromRow(row);
  }

  /** Inserts or replaces the customization of its target, keeping the first creation time. */
  async put(c: UICustomization): Promise<void> {
    await this.sql.run(
      `INSERT INTO ui_customizations (pool_id, target, client_id, css, image, image_type, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (pool_id, target) DO UPDATE SET css = excluded.css, image = excluded.image,
         image_type = excluded.image_type, updated_at = excluded.updated_at`,
      [c.poolId, c.target, c.clientId, c.css, c.image, c.imageType, c.createdAt, c.updatedAt],
    );
  }
}
