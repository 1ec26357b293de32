// Operations (admin): health and kitchens now; metrics and alerts from their feeds as the server publishes them.
import { $ } from '../dom.js';
import { initNav } from '../ui.js';
import { mountFeed } from '../feeds/feed.js';
import health from '../feeds/health.js';
import kitchens from '../feeds/kitchens.js';
import metrics from '../feeds/metrics.js';
import alerts from '../feeds/alerts.js';

initNav();

for (const feed of [health, kitchens, metrics, alerts]) mountFeed(feed, $('#feeds'));
