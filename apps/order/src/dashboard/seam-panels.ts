/**
 * The seam dashboard's panels: the questions of grafana/dashboards/seamline-seams.json, one row
 * per seam, in the same order.
 */
import { httpRow, idempotencyRow, retryRow, sagasRow } from './flow-rows.ts';
import { busRow, leaderRow, quorumRow } from './infrastructure-rows.ts';
import type { RowSpec } from './panel-kit.ts';

export type { PanelReading, PanelSpec, PanelStatus, RowSpec } from './panel-kit.ts';

/** Every row, in the Grafana dashboard's order. */
export const SEAM_ROWS: readonly RowSpec[] = [
  busRow,
  quorumRow,
  leaderRow,
  retryRow,
  idempotencyRow,
  sagasRow,
  httpRow,
];
