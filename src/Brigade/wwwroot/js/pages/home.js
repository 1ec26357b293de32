// Home: names Brigade, lists the restaurants with links to order and to each outlet's kitchen display.
import { api } from '../api.js';
import { h, $ } from '../dom.js';
import { initNav, showProblem, firstLoad } from '../ui.js';
import { CityMap, boundsForOutlets, outletsOf } from '../city-map.js';

initNav();

try {
  // While the server cannot be reached, the page says so and tries again by itself.
  const restaurants = await firstLoad($('#problem'), () => api('/api/restaurants'));
  $('#restaurants-loading').remove();
  $('#restaurants').append(...restaurants.map(r => h('li', { class: 'card restaurant' },
    h('h3', { text: r.name }),
    h('p', { class: 'muted', text: [r.cuisine, r.description].filter(Boolean).join(' · ') }),
    h('ul', { class: 'outlets small', 'aria-label': `${r.name} outlets` }, r.outlets.map(o => h('li', {},
      `${o.name} `,
      h('span', { class: `badge ${o.open ? 'ok' : 'bad'}`, text: o.open ? 'open' : 'closed' }),
      ' · ',
      h('a', { href: `/kitchen.html?outlet=${encodeURIComponent(o.id)}`, 'aria-label': `Kitchen display of ${o.name}` }, 'kitchen display')))),
    h('a', { class: 'button primary', href: `/order.html?restaurant=${encodeURIComponent(r.id)}` }, `Order from ${r.name}`))));

  const outlets = outletsOf(restaurants);
  const map = new CityMap($('#map'), {
    bounds: boundsForOutlets(outlets),
    title: 'Map of the outlets',
    description: outlets.map(o => `${o.name} at ${o.lat.toFixed(4)}, ${o.lon.toFixed(4)}`).join('; '),
  });
  for (const o of outlets) map.addOutlet(o);
} catch (e) {
  $('#restaurants-loading')?.remove();
  showProblem($('#problem'), e, { focus: false });
}
