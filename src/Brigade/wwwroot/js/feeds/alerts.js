// Operations alerts from GET /api/alerts: the rules firing now, then the recently resolved ones.
// Shape: { active: [AlertView], recent: [AlertView], nextBefore }, AlertView = { alertId, rule, kind, subject,
// state: "firing" | "resolved", message, value, threshold, firedAt, resolvedAt? }.
import { h, replace } from '../dom.js';
import { clock } from '../format.js';

function item(a) {
  const firing = a.state === 'firing';
  return h('li', {},
    h('span', { class: `badge ${firing ? 'bad' : ''}`, text: firing ? 'firing' : 'resolved' }), ' ',
    h('time', { datetime: a.firedAt, class: 'muted', text: clock(a.firedAt) }),
    a.resolvedAt ? h('span', { class: 'muted', text: `–${clock(a.resolvedAt)}` }) : null, ' ',
    h('strong', { text: `${a.rule} (${a.subject}): ` }),
    a.message);
}

export default {
  id: 'alerts',
  title: 'Alerts',
  description: 'What needs someone’s attention: rules firing now, then the recently resolved.',
  url: '/api/alerts',
  refreshSeconds: 15,
  render(body, data) {
    const active = data?.active ?? [];
    // The page comes newest last: show its newest 50 resolved, newest first.
    const recent = (data?.recent ?? []).filter(a => a.state !== 'firing').slice(-50).reverse();
    if (active.length === 0 && recent.length === 0) return replace(body, h('p', { class: 'muted' }, 'No alerts: every rule is quiet.'));
    replace(body,
      h('p', {}, active.length === 0 ? 'Nothing firing now.' : `${active.length} firing now.`),
      h('ul', { class: 'plain stack' }, [...active, ...recent].map(item)));
  },
};
