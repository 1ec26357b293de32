// Operations alerts: kitchens failing tickets, couriers going stale, …, newest first.
// Expected shape: [{ at, severity?, source?, message }] (or { alerts: [...] }).
import { h, replace } from '../dom.js';
import { listOf } from './feed.js';
import { clock } from '../format.js';

const KIND = { critical: 'bad', error: 'bad', warning: 'warn', warn: 'warn', info: '' };

export default {
  id: 'alerts',
  title: 'Alerts',
  description: 'What needs someone’s attention.',
  url: '/api/alerts',
  refreshSeconds: 15,
  render(body, data) {
    const alerts = listOf(data, 'alerts').slice(0, 100);
    if (alerts.length === 0) return replace(body, h('p', { class: 'muted' }, 'No alerts.'));
    replace(body, h('ul', { class: 'plain stack' }, alerts.map(a => h('li', {},
      h('span', { class: `badge ${KIND[a.severity] ?? ''}`, text: a.severity ?? 'alert' }), ' ',
      a.at ? h('time', { datetime: a.at, class: 'muted', text: clock(a.at) }) : null, ' ',
      a.source ? h('strong', { text: `${a.source}: ` }) : null,
      a.message ?? JSON.stringify(a)))));
  },
};
