/** Nest provider token of the seam dashboard's feed. */
export const DASHBOARD_FEED = Symbol('DASHBOARD_FEED');
