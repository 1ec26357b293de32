// Every outlet's kitchen at a glance: queue, projected wait against target, crew, oldest ticket.
// From the kitchen display API (one GET per outlet), refreshed while the page is visible; the
// live detail of one kitchen is its kitchen display.
import { h, replace } from '../dom.js';
import { table } from './feed.js';
import { duration } from '../format.js';

export default {
  id: 'kitchens',
  title: 'Kitchens',
  description: 'Queues and waits at every outlet; open a kitchen display for the live detail.',
  url: '/api/restaurants',
  refreshSeconds: 10,
  async load(api) {
    const restaurants = await api('/api/restaurants');
    const outlets = restaurants.flatMap(r => r.outlets);
    const views = await Promise.all(outlets.map(o => api(`/api/outlets/${encodeURIComponent(o.id)}/kitchen`).catch(() => null)));
    return outlets.map((o, i) => ({ outlet: o, view: views[i] }));
  },
  render(body, rows) {
    replace(body, table('Kitchens', ['Outlet', 'Station', 'Queued', 'Wait / target', 'Chefs', 'Oldest ticket'], rows.flatMap(({ outlet, view }) =>
      (view?.stations ?? [{ id: '—' }]).map((st, i) => [
        i === 0 ? h('a', { href: `/kitchen.html?outlet=${encodeURIComponent(outlet.id)}` }, outlet.name) : '',
        st.name ?? st.id,
        st.queuedTasks ?? '',
        st.targetWaitSeconds != null ? h('span', {}, `${duration(st.projectedWaitSeconds)} / ${duration(st.targetWaitSeconds)} `,
          st.projectedWaitSeconds > st.targetWaitSeconds ? h('span', { class: 'badge warn' }, 'over') : null) : '',
        st.activeChefs != null ? `${st.activeChefs} of ${st.targetChefs}` : '',
        st.tickets?.length ? duration(Math.max(...st.tickets.map(t => t.ageSeconds))) : '',
      ]))));
  },
};
