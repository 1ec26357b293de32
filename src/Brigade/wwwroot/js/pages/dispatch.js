// Dispatcher map (admin): outlets with their delivery areas and health, couriers moving, orders
// waiting or assigned (one live stream), and the router's decisions (another), over the city's
// coordinates.
import { api } from '../api.js';
import { $ } from '../dom.js';
import { initNav, showProblem, firstLoad } from '../ui.js';
import { CityMap, boundsForOutlets, outletsOf } from '../city-map.js';
import { mountFeed } from '../feeds/feed.js';
import fleet from '../feeds/fleet.js';
import routing from '../feeds/routing.js';

initNav();

try {
  // While the server cannot be reached, the page says so and tries again by itself.
  const outlets = outletsOf(await firstLoad($('#problem'), () => api('/api/restaurants')));
  const map = new CityMap($('#map'), {
    bounds: boundsForOutlets(outlets),
    title: 'Dispatcher map',
    description: `${outlets.length} outlets with their delivery areas; couriers as arrows, orders as diamonds at their delivery points, a courier's next leg as a dashed line. The tables beside the map list the same.`,
  });
  for (const o of outlets) map.addOutlet(o);
  const ctx = { map, outlets: new Map(outlets.map(o => [o.id, o])) };
  for (const feed of [fleet, routing]) mountFeed(feed, $('#feeds'), ctx);
} catch (e) {
  showProblem($('#problem'), e, { focus: false });
}
