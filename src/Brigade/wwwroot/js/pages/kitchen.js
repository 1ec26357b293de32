// Kitchen display, one per outlet (staff). Stations are columns of tickets coloured by age
// against the station's target wait; at staff-run stations chefs start and bump tasks here.
// Live over /api/outlets/{id}/kitchen/stream. Elements are keyed and reused across updates, so
// a button being pressed or focused is never swapped out from under the user.
import { api } from '../api.js';
import { h, $, replace, params, keyed, setText, setAttr, announce } from '../dom.js';
import { initNav, showProblem, firstLoad } from '../ui.js';
import { followAgain, loadAgain, showState, unreachable } from '../live.js';
import { clock as formatClock, duration, spokenDuration, shortId } from '../format.js';
import { KitchenClock } from '../clock.js';

initNav();

const problem = $('#problem');
const said = $('#said');
const outletId = params().get('outlet');
const base = `/api/outlets/${encodeURIComponent(outletId ?? '')}/kitchen`;
const clock = new KitchenClock();
const itemNames = new Map();
let view = null;

// Leases this screen holds: task id → { token, chefId, leaseMs (kitchen), realMs, heldAt }. Kept across reloads.
const leaseKey = `brigade.kitchen.${outletId}.leases`;
const leases = new Map(loadJson(leaseKey, []));
const beats = new Map(); // task id → { at: real ms of the last heartbeat, busy }
const HEARTBEAT_CHECK_MS = 50; // how often to see whether a lease is due a heartbeat

if (!outletId) chooseOutlet();
else startDisplay();

// ------------------------------------------------------------------ outlet chooser

async function chooseOutlet() {
  $('#chooser').hidden = false;
  try {
    const restaurants = await firstLoad(problem, () => api('/api/restaurants'));
    replace($('#outlets'), restaurants.flatMap(r => r.outlets.map(o =>
      h('li', {}, h('a', { href: `/kitchen.html?outlet=${encodeURIComponent(o.id)}` }, o.name), h('span', { class: 'muted', text: ` (${r.name})` })))));
  } catch (e) {
    showProblem(problem, e, { focus: false });
  }
}

// ------------------------------------------------------------------ live display

function startDisplay() {
  $('#display').hidden = false;
  loadItemNames();
  let clearOutage = null;
  let outage = null; // the error of the last catch-up, while the server cannot be reached
  followAgain(`${base}/stream`, {
    events: ['kitchen'],
    onMessage: (_, data) => {
      clock.observe(data.at);
      for (const mark of made.values()) mark.views++;
      render(data);
    },
    onState: (state, info) => {
      showState($('#live'), state, {}, { ...info, outage });
      if (state === 'live') {
        clearOutage?.();
        clearOutage = null;
      }
    },
    // The stream was refused: ask the API why (no such outlet, not signed in, or the server is down).
    onRefused: async () => {
      outage = null;
      try {
        const current = await api(base); // refused in passing (a gateway, a restart): catch up, follow again
        clock.observe(current.at);
        render(current);
        return true;
      } catch (e) {
        const clear = showProblem(problem, e, { focus: false });
        // The network or the server is down, not the outlet gone: keep showing the kitchen and try again.
        if (!unreachable(e)) return false;
        outage = e;
        clearOutage = clear;
        return true;
      }
    },
  });
  setInterval(tick, 1000);
  setInterval(heartbeats, HEARTBEAT_CHECK_MS);
}

/** Tasks are named after the menu; while the server cannot be reached, ids do and it tries again (the stream says why). */
async function loadItemNames() {
  try {
    const restaurants = await loadAgain(() => api('/api/restaurants'));
    const r = restaurants.find(x => x.outlets.some(o => o.id === outletId));
    if (!r) return;
    const menu = await loadAgain(() => api(`/api/restaurants/${encodeURIComponent(r.id)}/menu`));
    for (const item of menu.items) itemNames.set(item.id, item.name);
    if (view) render(view);
  } catch {
    // ids will do
  }
}

function render(next) {
  view = next;
  document.title = `${view.name} kitchen · Brigade`;
  setText($('#heading'), `Kitchen display: ${view.name}`);
  const open = $('#open-state');
  setText(open, view.open ? 'Open' : 'Closed');
  open.className = `badge ${view.open ? 'ok' : 'bad'}`;
  $('#offpeak').hidden = !view.offPeak;
  keyed($('#stations'), view.stations, st => st.id, createStation, updateStation);
  keyed($('#chefs'), view.chefs, c => c.id, createChef, updateChef);
  keyed($('#equipment'), view.equipment, e => e.id, createEquipment, updateEquipment);
  keyed($('#stock'), view.stock, st => st.component, createStock, updateStock);
  $('#no-stock').hidden = view.stock.length > 0;
  $('#stock-table').hidden = view.stock.length === 0;
  pruneLeases();
  tick();
}

/** Once a second: the kitchen clock and the ticket ages move on between updates. */
function tick() {
  if (!view) return;
  setText($('#kitchen-clock'), formatClock(new Date(clock.now()).toISOString()));
  const elapsed = clock.sinceLastView();
  for (const el of document.querySelectorAll('.ticket')) showAge(el, el.__age + elapsed, el.__target);
}

// ------------------------------------------------------------------ stations

function createStation(station) {
  const headingId = `station-${station.id}`;
  const el = h('section', { class: 'card station', 'aria-labelledby': headingId, 'data-station': station.id });
  const stats = h('p', { class: 'small stats' });
  const header = h('header', {},
    h('h2', { id: headingId }, h('span', { class: 'name' }), ' ', h('span', { class: 'badge mode' })),
    stats);
  el.append(header);
  if (station.mode === 'human') {
    const selectId = `chef-${station.id}`;
    const select = h('select', { id: selectId, class: 'chef-select' });
    select.addEventListener('change', () => {
      localStorage.setItem(chefKey(station.id), select.value);
      render(view);
    });
    const next = h('button', { type: 'button', class: 'primary start-next', 'aria-label': `Start next task at ${station.name}`, onclick: pressed(() => startNext(station.id)) }, 'Start next task');
    el.append(h('div', { class: 'controls' },
      h('div', { class: 'field' }, h('label', { for: selectId }, 'Chef', h('span', { class: 'visually-hidden' }, ` at ${station.name}`)), select),
      next));
  }
  el.append(h('ul', { class: 'tickets', 'aria-label': `${station.name} tickets` }));
  return el;
}

function updateStation(el, station) {
  setText(el.querySelector('.name'), station.name);
  setText(el.querySelector('.mode'), station.mode === 'human' ? 'staff' : 'simulated');
  setText(el.querySelector('.stats'),
    `${station.queuedTasks} queued · wait ${duration(station.projectedWaitSeconds)} (target ${duration(station.targetWaitSeconds)}) · `
    + `${station.activeChefs} of ${station.targetChefs} chefs active (${station.minChefs}–${station.maxChefs})`
    + (station.openTickets > station.tickets.length ? ` · showing the oldest ${station.tickets.length} of ${station.openTickets} tickets` : ''));
  if (station.mode === 'human') updateChefSelect(el.querySelector('.chef-select'), station);
  const list = el.querySelector('.tickets');
  const tickets = station.tickets.map(t => ({ ...t, station }));
  if (tickets.length === 0) {
    list.__keyed = new Map();
    if (!list.querySelector('.empty')) replace(list, h('li', { class: 'empty' }, 'No tickets.'));
  } else {
    keyed(list, tickets, t => t.id, createTicket, updateTicket);
  }
}

function updateChefSelect(select, station) {
  if (document.activeElement === select) return; // never change a list the user is in
  const chefs = view.chefs.filter(c => c.skills.includes(station.id));
  const options = [['', 'Choose a chef'], ...chefs.map(c => [c.id, `${c.name} (${c.state})`])];
  const current = select.value || localStorage.getItem(chefKey(station.id)) || '';
  const same = select.options.length === options.length && options.every(([v, t], i) => select.options[i].value === v && select.options[i].text === t);
  if (!same) replace(select, options.map(([v, t]) => h('option', { value: v }, t)));
  select.value = options.some(([v]) => v === current) ? current : '';
  const button = select.closest('.station').querySelector('.start-next');
  button.disabled = !select.value || holdsTask(select.value);
}

const chefKey = station => `brigade.kitchen.${outletId}.chef.${station}`;

function chefAt(stationId) {
  return document.querySelector(`#chef-${CSS.escape(stationId)}`)?.value || null;
}

// ------------------------------------------------------------------ tickets and tasks

function createTicket(ticket) {
  const titleId = `ticket-${ticket.id.replace(/[^\w-]/g, '-')}`;
  const el = h('li', {},
    h('article', { class: 'ticket', 'aria-labelledby': titleId },
      h('div', { class: 'head' },
        h('h3', { id: titleId }),
        h('span', {}, h('span', { class: 'age' }), ' ', h('span', { class: 'badge age-label' }))),
      h('ul', { class: 'tasks' })));
  return el;
}

function updateTicket(li, ticket) {
  const el = li.querySelector('.ticket');
  setText(el.querySelector('h3'), ticket.orderId ? `Order …${shortId(ticket.orderId)}` : `Prep: ${ticket.component}`);
  el.__age = ticket.ageSeconds;
  el.__target = ticket.station.targetWaitSeconds;
  showAge(el, ticket.ageSeconds, ticket.station.targetWaitSeconds);
  const tasks = ticket.tasks.map(t => ({ ...t, station: ticket.station, ticket }));
  keyed(el.querySelector('.tasks'), tasks, t => t.id, createTask, updateTask);
}

/** Green, amber, red against the station's target wait, with words too (colour is never the only signal). */
function showAge(el, age, target) {
  const state = !target ? 'fresh' : age < target / 2 ? 'fresh' : age < target ? 'due' : 'late';
  el.dataset.age = state;
  const ageEl = el.querySelector('.age');
  setText(ageEl, duration(age));
  setAttr(ageEl, 'aria-label', `age ${spokenDuration(age)}`);
  setText(el.querySelector('.age-label'), { fresh: 'on time', due: 'due soon', late: 'over target' }[state]);
}

function taskLabel(task) {
  const name = itemNames.get(task.item) ?? task.item;
  return `${name} ${task.unit + 1} · ${task.name}`;
}

function createTask(task) {
  const li = h('li', { class: 'task' },
    h('div', {}, h('div', { class: 'label' }), h('div', { class: 'phase' })));
  if (task.station.mode === 'human') {
    li.append(h('div', { class: 'row' },
      h('button', { type: 'button', class: 'small start', onclick: pressed(() => startTask(li.__task)) }, 'Start'),
      h('button', { type: 'button', class: 'small primary bump', onclick: pressed(() => bump(li.__task, li)) }, 'Bump')));
  }
  return li;
}

function updateTask(li, task) {
  li.__task = task;
  li.dataset.phase = task.phase;
  const label = taskLabel(task);
  setText(li.querySelector('.label'), label);
  const held = leases.get(task.id);
  const mine = held && held.token === task.token;
  const chef = view.chefs.find(c => c.id === task.chefId)?.name ?? task.chefId;
  const equipment = task.equipment ? `${task.equipment} ${task.equipmentUnit != null ? task.equipmentUnit + 1 : ''}`.trim() : null;
  const phase = {
    blocked: 'waits for the step before',
    queued: task.attempts > 0 ? `queued again (attempt ${task.attempts + 1})` : 'queued',
    working: `${chef} working${equipment ? ` at ${equipment}` : ''}${mine ? ' · started here' : ''}`,
    handsfree: `in ${equipment ?? 'equipment'}, unattended`,
  }[task.phase] ?? task.phase;
  setText(li.querySelector('.phase'), phase);
  const start = li.querySelector('.start');
  const bumpButton = li.querySelector('.bump');
  if (start) {
    start.hidden = task.phase !== 'queued';
    start.disabled = !chefAt(task.station.id);
    setAttr(start, 'aria-label', `Start ${label}`);
    setAttr(start, 'title', start.disabled ? 'Choose the chef first' : null);
  }
  if (bumpButton) {
    bumpButton.hidden = task.phase !== 'working' || li.__bumped === task.token;
    setAttr(bumpButton, 'aria-label', `Bump ${label}`);
  }
}

// ------------------------------------------------------------------ actions

const pending = new Set(); // actions on their way: a second click on the same one is not sent again

/**
 * A button's click handler that takes a double click as one press: its second click is no new
 * action, even when the view has put another button under the pointer in between (Sick becomes
 * Back, Report broken becomes Report fixed, the next task moves up). A key press always counts.
 */
const pressed = action => event => {
  if (event.detail > 1) return;
  action();
};

// Changes this screen made to a chef or an equipment unit whose view is still on its way:
// key → { from: the state they were made from, views: views come since the answer }.
const made = new Map();

/** A change of state, sent once: not again while the view still shows the state it was made from. */
function change(key, from, path, success) {
  if (made.get(key)?.from === from) return;
  return act(path, undefined, () => {
    made.set(key, { from, views: 0 });
    success();
  });
}

/**
 * The view shows `state` for `key`: a change made from another state has arrived. Two views after
 * the answer, one was taken after the change, so the mark goes whatever they show (someone may
 * have changed it back).
 */
function settle(key, state) {
  const mark = made.get(key);
  if (mark && (mark.from !== state || mark.views >= 2)) made.delete(key);
}

/**
 * A staff action; the stream brings its effect. Resolves with { ok, answer } or { ok: false, error },
 * or with { ok: false, pending: true } when the same action is still on its way (a double click).
 */
async function act(path, body, success) {
  if (pending.has(path)) return { ok: false, pending: true };
  pending.add(path);
  try {
    const answer = await api(`${base}${path}`, { method: 'POST', body });
    problem.replaceChildren();
    problem.className = 'notice';
    success?.(answer);
    return { ok: true, answer };
  } catch (error) {
    showProblem(problem, error, { focus: false });
    return { ok: false, error };
  } finally {
    pending.delete(path);
  }
}

/** Whether a chef works a task started on this screen: they cannot start another until it is bumped. */
const holdsTask = chefId => [...leases.values()].some(l => l.chefId === chefId);

function startNext(stationId) {
  const chefId = chefAt(stationId);
  if (!chefId || holdsTask(chefId)) return; // a second click, before the view shows the chef busy
  return act(`/chefs/${encodeURIComponent(chefId)}/next`, undefined, lease => {
    hold(lease, chefId);
    announce(said, `${chefId} started task ${lease.taskId}.`);
  });
}

function startTask(task) {
  const chefId = chefAt(task.station.id);
  if (!chefId || holdsTask(chefId)) return;
  return act(`/tasks/${task.id}/start`, { chefId }, lease => {
    hold(lease, chefId);
    announce(said, `${chefId} started ${taskLabel(task)}.`);
  });
}

function bump(task, li) {
  // Bumped already, and the view saying so is still on its way: a second click would be refused.
  if (li.__bumped === task.token) return;
  const token = leases.get(task.id)?.token ?? task.token;
  return act(`/tasks/${task.id}/bump`, { token }, () => {
    li.__bumped = task.token;
    li.querySelector('.bump').hidden = true;
    release(task.id);
    announce(said, `Bumped ${taskLabel(task)}.`);
  }).then(result => {
    if (result.error?.status === 409) release(task.id); // refused: this screen no longer holds it
  });
}

function hold(lease, chefId) {
  // The server says when the lease ends, what its clock read at the start and how fast that clock
  // runs: the lease in real time, known at once. Guessing it from the views' clock (which may not
  // know the rate yet, and lags while nothing changes) lets a short lease run out between beats.
  const startedAt = lease.at ? Date.parse(lease.at) : null;
  const leaseMs = lease.leaseUntil ? Date.parse(lease.leaseUntil) - (startedAt ?? clock.now()) : null;
  const realMs = leaseMs != null && startedAt != null && lease.timeScale > 0 ? leaseMs / lease.timeScale : null;
  // Views from before this start may still be on their way: they do not count against the lease.
  const heldAt = startedAt ?? clock.now() + 500 * (clock.scale ?? 1);
  leases.set(lease.taskId, { token: lease.token, chefId, leaseMs, realMs, heldAt });
  beats.set(lease.taskId, { at: performance.now(), busy: false });
  saveLeases();
}

function release(taskId) {
  if (leases.delete(taskId)) saveLeases();
  beats.delete(taskId);
}

/** Forget leases whose task is done or was taken from us (lease ran out, chef went home). */
function pruneLeases() {
  const at = Date.parse(view.at);
  for (const [taskId, lease] of leases) {
    if (lease.heldAt && at <= lease.heldAt) continue;
    const task = view.stations.flatMap(st => st.tickets).flatMap(t => t.tasks).find(t => t.id === taskId);
    if (!task || task.phase !== 'working' || task.token !== lease.token) {
      if (task && task.token !== lease.token) announce(said, `${lease.chefId} lost task ${taskId}: it went back to the queue.`);
      release(taskId);
    }
  }
}

/** Keep the leases this screen holds alive while their tasks are being worked. */
function heartbeats() {
  const now = performance.now();
  for (const [taskId, lease] of leases) {
    const beat = beats.get(taskId) ?? { at: 0, busy: false };
    beats.set(taskId, beat);
    const real = lease.realMs ?? (lease.leaseMs ? clock.toReal(lease.leaseMs) : null);
    // A third of the lease, in real time (a fast kitchen clock can make that a fraction of a
    // second); every second while it is not known.
    const every = real ? Math.min(30_000, Math.max(HEARTBEAT_CHECK_MS, real / 3)) : 1000;
    if (beat.busy || now - beat.at < every) continue;
    // Counted from when the beat is sent: the lease is extended from the server's receipt, not our answer.
    beat.at = now;
    beat.busy = true;
    api(`${base}/tasks/${taskId}/heartbeat`, { method: 'POST', body: { token: lease.token } })
      .catch(e => {
        if (e.status === 409 || e.status === 404) {
          release(taskId);
          announce(said, `${lease.chefId} lost task ${taskId}: ${e.detail ?? 'the lease ran out'}.`);
        }
      })
      .finally(() => { beat.busy = false; });
  }
}

function saveLeases() {
  try {
    localStorage.setItem(leaseKey, JSON.stringify([...leases]));
  } catch {
    // kept in memory only
  }
}

function loadJson(key, fallback) {
  try {
    return JSON.parse(localStorage.getItem(key)) ?? fallback;
  } catch {
    return fallback;
  }
}

// ------------------------------------------------------------------ chefs, equipment, stock

function createChef(chef) {
  return h('tr', {},
    h('th', { scope: 'row', class: 'name' }),
    h('td', {}, h('span', { class: 'badge state' })),
    h('td', { class: 'skills', 'data-label': 'Stations' }),
    h('td', { class: 'done', 'data-label': 'Tasks done' }),
    h('td', { class: 'actions' }));
}

const CHEF_STATE_CLASS = { idle: 'ok', busy: 'warn', sick: 'bad', off: '', standby: '' };

function updateChef(tr, chef) {
  setText(tr.querySelector('.name'), chef.name);
  const state = tr.querySelector('.state');
  setText(state, chef.state + (chef.taskId != null ? ` (task ${chef.taskId})` : ''));
  state.className = `badge state ${CHEF_STATE_CLASS[chef.state] ?? ''}`;
  setText(tr.querySelector('.skills'), chef.skills.join(', '));
  setText(tr.querySelector('.done'), chef.tasksDone);
  const actions = tr.querySelector('.actions');
  settle(`chef:${chef.id}`, chef.state);
  if (actions.dataset.state === chef.state) return;
  const hadFocus = actions.contains(document.activeElement);
  actions.dataset.state = chef.state;
  const button = (text, path) => h('button', {
    type: 'button', class: 'small', 'aria-label': `${text}: ${chef.name}`,
    onclick: pressed(() => change(`chef:${chef.id}`, chef.state, `/chefs/${encodeURIComponent(chef.id)}/${path}`,
      () => announce(said, `${chef.name}: ${text.toLowerCase()}.`))),
  }, text);
  const buttons = chef.state === 'off' ? [button('Clock in', 'clock-in')]
    : chef.state === 'sick' ? [button('Back', 'back')]
    : [button('Sick', 'sick'), button('Clock out', 'clock-out')];
  replace(actions, h('div', { class: 'row' }, buttons));
  if (hadFocus) actions.querySelector('button')?.focus();
}

function createEquipment(eq) {
  return h('div', { class: 'equipment' }, h('h3', {}), h('ul', { class: 'plain unit-list' }));
}

function updateEquipment(el, eq) {
  setText(el.querySelector('h3'), `${eq.id} (${eq.type})`);
  keyed(el.querySelector('ul'), eq.units.map(u => ({ ...u, eq })), u => u.unit, createUnit, updateUnit);
}

function createUnit(u) {
  const li = h('li', {}, h('span', { class: 'what' }), h('button', { type: 'button', class: 'small' }));
  li.querySelector('button').addEventListener('click', pressed(() => {
    const x = li.__unit;
    change(unitKey(x), x.broken, `/equipment/${encodeURIComponent(x.eq.id)}/units/${x.unit}/${x.broken ? 'fixed' : 'broken'}`,
      () => announce(said, `${x.eq.id} unit ${x.unit + 1} reported ${x.broken ? 'fixed' : 'broken'}.`));
  }));
  return li;
}

const unitKey = u => `unit:${u.eq.id}/${u.unit}`;

function updateUnit(li, u) {
  li.__unit = u;
  settle(unitKey(u), u.broken);
  const what = li.querySelector('.what');
  replace(what, `Unit ${u.unit + 1}: `, u.broken
    ? h('span', { class: 'badge bad' }, 'broken')
    : h('span', { class: `badge ${u.inUse >= u.eq.capacity ? 'warn' : 'ok'}` }, `${u.inUse} of ${u.eq.capacity} in use`));
  const button = li.querySelector('button');
  setText(button, u.broken ? 'Report fixed' : 'Report broken');
  setAttr(button, 'aria-label', `${u.broken ? 'Report fixed' : 'Report broken'}: ${u.eq.id} unit ${u.unit + 1}`);
}

function createStock() {
  return h('tr', {}, h('th', { scope: 'row', class: 'component' }), h('td', { class: 'level' }), h('td', { class: 'par' }), h('td', { class: 'prep' }));
}

function updateStock(tr, st) {
  setText(tr.querySelector('.component'), st.component);
  replace(tr.querySelector('.level'), `${st.level} `, st.level < st.par ? h('span', { class: 'badge warn' }, 'below par') : null);
  setText(tr.querySelector('.par'), st.par);
  setText(tr.querySelector('.prep'), st.inPrep);
}
