// Operations (admin): health, live charts (orders per minute, station waits, courier utilisation),
// kitchens, and the alert list (shown as not available until the server publishes GET /api/alerts).
import { $ } from '../dom.js';
import { initNav } from '../ui.js';
import { mountFeed } from '../feeds/feed.js';
import health from '../feeds/health.js';
import figures from '../feeds/ops.js';
import kitchens from '../feeds/kitchens.js';
import alerts from '../feeds/alerts.js';

initNav();

mountFeed(figures, $('#figures'));
for (const feed of [health, alerts, kitchens]) mountFeed(feed, $('#feeds'));
