// Live operations charts (GET /api/ops/summary, then its SSE stream): orders per minute over the
// last hour of kitchen time, each station's projected wait, and how busy the couriers are.
import { h, replace } from '../dom.js';
import { lineChart } from '../chart.js';
import { shortClock, spokenDuration } from '../format.js';

const last = list => list[list.length - 1];

function ordersChart(minutes) {
  const placed = minutes.map(m => m.placed);
  const done = minutes.map(m => m.delivered + m.collected);
  const lost = minutes.map(m => m.lost);
  const lastTen = list => list.slice(-10).reduce((a, b) => a + b, 0);
  return lineChart({
    id: 'orders-per-minute',
    title: 'Orders per minute',
    summary: `In the last 10 minutes: ${lastTen(placed)} placed, ${lastTen(done)} delivered or collected, ${lastTen(lost)} rejected, cancelled or failed.`,
    xLabels: [shortClock(minutes[0]?.minute), shortClock(last(minutes)?.minute)],
    series: [{ name: 'placed', values: placed }, { name: 'delivered or collected', values: done }, { name: 'rejected, cancelled or failed', values: lost }],
  });
}

function waitsChart(stations, samples) {
  const now = last(samples);
  const worst = stations.map((st, i) => ({ st, wait: now?.waitSeconds[i] ?? 0 })).sort((a, b) => b.wait - a.wait)[0];
  return lineChart({
    id: 'station-waits',
    title: 'Station waits (projected, minutes)',
    summary: worst ? `Longest now: ${worst.st.stationName} at ${worst.st.outletName}, ${spokenDuration(worst.wait)} (target ${spokenDuration(worst.st.targetWaitSeconds)}).` : 'No stations.',
    xLabels: [shortClock(samples[0]?.at), shortClock(now?.at)],
    series: stations.map((st, i) => ({ name: `${st.outletName}: ${st.stationName}`, values: samples.map(x => (x.waitSeconds[i] ?? 0) / 60) })),
    yMax: Math.max(...stations.map(st => st.targetWaitSeconds / 60), ...samples.flatMap(x => x.waitSeconds.map(w => w / 60))),
    yFormat: v => (v >= 10 ? v.toFixed(0) : String(Math.round(v * 10) / 10)),
  });
}

function couriersChart(samples) {
  const now = last(samples);
  return lineChart({
    id: 'courier-utilisation',
    title: 'Courier utilisation (%)',
    summary: now ? `${now.couriersBusy} of ${now.couriersOnShift} couriers have orders (${Math.round(now.busyPercent)} %); over their shifts so far they were busy ${Math.round(now.shiftUtilisationPercent)} % of the time. ${now.waitingForCourier} orders wait for a courier.` : 'No couriers on shift.',
    xLabels: [shortClock(samples[0]?.at), shortClock(now?.at)],
    series: [{ name: 'with orders now', values: samples.map(x => x.busyPercent) }, { name: 'busy over the shift', values: samples.map(x => x.shiftUtilisationPercent) }],
    yMax: 100,
  });
}

export default {
  id: 'figures',
  title: 'Live figures',
  description: 'Kitchen time: the server’s clock may run faster than yours.',
  url: '/api/ops/summary',
  stream: { url: '/api/ops/summary/stream', events: ['summary'] },
  render(body, data) {
    const samples = data.samples ?? [];
    replace(body,
      ordersChart(data.minutes ?? []),
      samples.length ? waitsChart(data.stations ?? [], samples) : null,
      samples.length ? couriersChart(samples) : null,
      h('p', { class: 'small muted', text: `The clock runs ${data.timeScale} times real time.` }));
  },
};
