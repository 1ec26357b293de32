// Dispatcher map (admin): outlets and their delivery areas now; couriers and routing decisions
// from their feeds as the server publishes them.
import { api } from '../api.js';
import { $ } from '../dom.js';
import { initNav, showProblem } from '../ui.js';
import { CityMap, boundsForOutlets, outletsOf } from '../city-map.js';
import { mountFeed } from '../feeds/feed.js';
import couriers from '../feeds/couriers.js';
import routing from '../feeds/routing.js';

initNav();

try {
  const outlets = outletsOf(await api('/api/restaurants'));
  const map = new CityMap($('#map'), {
    bounds: boundsForOutlets(outlets),
    title: 'Dispatcher map',
    description: `${outlets.length} outlets with their delivery areas; couriers appear as arrow markers.`,
  });
  for (const o of outlets) map.addOutlet(o);
  for (const feed of [couriers, routing]) mountFeed(feed, $('#feeds'), { map });
} catch (e) {
  showProblem($('#problem'), e, { focus: false });
}
