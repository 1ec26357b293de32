// Formatting for people: money, clock times, durations, statuses.

// The catalog has no currency yet; the demo is in Berlin.
const CURRENCY = 'EUR';
const moneyFormat = new Intl.NumberFormat(undefined, { style: 'currency', currency: CURRENCY });
const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
const shortTimeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });

export const money = cents => moneyFormat.format((cents ?? 0) / 100);

export const clock = iso => (iso ? timeFormat.format(new Date(iso)) : '');

export const shortClock = iso => (iso ? shortTimeFormat.format(new Date(iso)) : '');

/** 75 → "1:15", 3725 → "1:02:05". */
export function duration(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${r}` : `${m}:${r}`;
}

/** For reading aloud: "4 min 10 s". */
export function spokenDuration(seconds) {
  const s = Math.max(0, Math.round(seconds));
  const m = Math.floor(s / 60);
  return m > 0 ? `${m} min ${s % 60} s` : `${s} s`;
}

export function minutes(seconds) {
  const m = Math.max(0, Math.round(seconds / 60));
  return m <= 1 ? 'about a minute' : `about ${m} minutes`;
}

export const STATUS_LABELS = {
  placed: 'Placed',
  accepted: 'Accepted',
  preparing: 'Preparing',
  ready: 'Ready',
  courierAssigned: 'Courier assigned',
  pickedUp: 'Picked up',
  delivered: 'Delivered',
  collected: 'Collected',
  cancelled: 'Cancelled',
  rejected: 'Rejected',
  failed: 'Failed',
};

export const ALL_STATUSES = Object.keys(STATUS_LABELS);

export const TERMINAL = new Set(['delivered', 'collected', 'cancelled', 'rejected', 'failed']);

export const statusLabel = status => STATUS_LABELS[status] ?? status;

/** The tail of a long id, enough to tell orders apart at a glance. */
export const shortId = id => (id && id.length > 8 ? id.slice(-6) : id ?? '');
