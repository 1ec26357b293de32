// Couriers on the dispatcher's map: where each one is and what they are doing.
// Expected shape: [{ id, name?, lat, lon, state?, orderIds? }] (or { couriers: [...] }).
import { h, replace } from '../dom.js';
import { table, listOf } from './feed.js';

export default {
  id: 'couriers',
  title: 'Couriers',
  description: 'Every courier on shift, on the map and in the list.',
  url: '/api/dispatch/couriers',
  stream: { url: '/api/dispatch/couriers/stream', events: ['couriers'] },
  render(body, data, { map }) {
    const couriers = listOf(data, 'couriers');
    if (map) {
      map.clear('couriers');
      for (const c of couriers) if (typeof c.lat === 'number' && typeof c.lon === 'number') map.setCourier(c.id, c, { label: c.name ?? c.id });
    }
    if (couriers.length === 0) return replace(body, h('p', { class: 'muted' }, 'No couriers on shift.'));
    replace(body, table('Couriers', ['Courier', 'State', 'Position', 'Orders'], couriers.map(c => [
      c.name ?? c.id,
      c.state ?? '',
      typeof c.lat === 'number' ? `${c.lat.toFixed(4)}, ${c.lon.toFixed(4)}` : '',
      (c.orderIds ?? []).join(', '),
    ])));
  },
};
