/*
 * Shared editor code of @lynxflow/node-red-iotopen: the pickers, hints, validators, the
 * editor's list cache, canvas label names and the functionx-in filter preview the nodes'
 * edit dialogs have in common, as one global, window.IotOpenEditor.
 *
 * Every node's .html loads this file before its own script:
 *   <script type="text/javascript" src="resources/@lynxflow/node-red-iotopen/iotopen-editor.js"></script>
 * Node-RED serves it from the package's resources/ folder and runs it once per node file
 * that includes it; the first run defines IotOpenEditor and later runs keep it.
 *
 * Strings: a helper given a node (in oneditprepare: `this`) or a node type reads its texts
 * from that node's own catalogue through the node's _(): tr(node, 'hint.noInstallation') is
 * '<type>.hint.noInstallation'. Texts every node shares (Server, Name, the not-deployed hint,
 * the picker's words) live once, in the pack's common namespace (nodes/lib/locales/<lang>/
 * common.json, which the build makes the `common` section of the config node's catalogue):
 * common('hint.notDeployed'); a dialog's data-i18n names them in full as
 * "@lynxflow/node-red-iotopen/iotopen-config:common.<key>". test/editor/i18n.test.js follows
 * each IotOpenEditor.<helper> an .html calls to the tr() and common() keys it reads and checks
 * them in that node's (or the common) en-US catalogue, so keep the keys literal.
 *
 * Lists: every picker reads its list through E.list(), which fetches each list (one admin
 * route answer, e.g. iotopen/<config id>/functions?installation=101) at most once per open
 * dialog and keeps the answer in one editor-wide cache; canvas labels read names from that
 * cache (fetching an installation list once per server when a label needs one).
 */
(function () {
  'use strict';
  if (window.IotOpenEditor) return;
  var E = {};

  /** The text of `<type>.<key>` from the catalogue of the node (or node type) given. */
  function tr(node, key, opts) {
    var type = typeof node === 'string' ? node : node.type;
    var def = typeof node !== 'string' && typeof node._ === 'function' ? node : RED.nodes.getType(type);
    return def && def._ ? def._(type + '.' + key, opts) : type + '.' + key;
  }

  /** A text every node shares: `common.<key>` of the config node's catalogue. */
  function common(key, opts) {
    var def = RED.nodes.getType('iotopen-config');
    return def && def._ ? def._('common.' + key, opts) : 'common.' + key;
  }

  /** The node type's translator for full keys: _t(NS + '.label.x'), as in validators and labels. */
  E.translator = function (ns) {
    return function (key, opts) {
      var d = RED.nodes.getType(ns);
      return d && d._ ? d._(key, opts) : key;
    };
  };

  E.labelStyle = function () {
    return this.name ? 'node_label_italic' : '';
  };

  // ---- validators ------------------------------------------------------------------------

  /** A positive whole number (an id), as the runtime accepts it. */
  E.isId = function (v) {
    return /^\s*\d+\s*$/.test(String(v)) && Number(v) > 0;
  };

  /**
   * Blank (given in the message) or a positive id, else the common validation.id text.
   * With a typeField (a TypedInput's type property), the id rule applies to the num type and
   * other types are checked as Node-RED checks them.
   */
  E.idValidator = function (ns, typeField) {
    return function (v, opt) {
      if (typeField) {
        var type = $('#node-input-' + typeField).val() || this[typeField] || 'num';
        if (type !== 'num') return RED.validators.typedInput({ type: type, allowBlank: true })(v, opt);
        if (v === undefined || String(v).trim() === '') return true;
      } else if (v === undefined || v === '') {
        return true;
      }
      return E.isId(v) || common('validation.id');
    };
  };

  // ---- form helpers -----------------------------------------------------------------------

  var FROM_CONTEXT = ['msg', 'flow', 'global', 'env'];

  /**
   * Makes #node-input-<field> a TypedInput whose type is kept in #node-input-<field>Type.
   * types: the list (its first is the default), or one type to offer with msg, flow, global and env.
   */
  E.typedInput = function (field, types) {
    var list = typeof types === 'string' ? [types].concat(FROM_CONTEXT) : types;
    return $('#node-input-' + field).typedInput({ default: list[0], types: list, typeField: '#node-input-' + field + 'Type' });
  };

  /**
   * Shows the rows `.<prefix><name>` whose name needs[<value of #node-input-<field>>] lists,
   * and hides the other rows named in needs; now and whenever the field changes.
   */
  E.toggleRows = function (field, needs, prefix) {
    var all = [];
    Object.keys(needs).forEach(function (value) {
      needs[value].forEach(function (name) {
        if (all.indexOf(name) < 0) all.push(name);
      });
    });
    $('#node-input-' + field)
      .on('change', function () {
        var need = needs[$(this).val()] || [];
        all.forEach(function (name) {
          $('.' + prefix + name).toggle(need.indexOf(name) >= 0);
        });
      })
      .trigger('change');
  };

  // ---- lists from the config node's admin routes, cached in the editor -----------------------

  E.serverId = function () {
    return $('#node-input-server').val();
  };

  function rejected(why) {
    return $.Deferred().reject(why).promise();
  }

  function listUrl(server, what, query) {
    return 'iotopen/' + encodeURIComponent(server) + '/' + what + (query ? '?' + $.param(query) : '');
  }

  // The config nodes the runtime has, as of the editor's last load or deploy (null until the flows
  // load). The lists of one not deployed yet are not asked for: the admin routes would answer 404
  // (which the browser logs as an error) and the dialog shows the deploy-first hint either way.
  var deployedServers = null;
  function noteDeployed() {
    deployedServers = {};
    RED.nodes.eachConfig(function (n) {
      if (n.type === 'iotopen-config') deployedServers[n.id] = true;
    });
  }
  if (typeof RED !== 'undefined' && RED.events) {
    RED.events.on('flows:loaded', noteDeployed);
    RED.events.on('deploy', noteDeployed);
  }
  /** A config node id the admin routes can answer for (not empty, not "add new", deployed). */
  function askable(id) {
    return !!id && id !== '_ADD_' && (!deployedServers || !!deployedServers[id]);
  }

  /** GET iotopen/<config id>/<what>?<query> of the chosen config node; rejects when none is chosen. */
  E.fetchList = function (what, query) {
    var id = E.serverId();
    if (!askable(id)) return rejected({ status: 404 });
    return $.getJSON(listUrl(id, what, query));
  };

  // One entry per list (server, route, query): { rows, at, pending, failedAt, preps, byId }.
  var store = {};
  var FAILED_RETRY_MS = 60000; // a label does not ask again for a list that failed within this time
  E.stats = { fetches: 0, prepareMs: {} }; // lists fetched since the editor loaded, ms to sort/index a list (tests read them)

  /** Fetches a list into the cache (one request at a time per list); resolves with its entry. */
  function fetchEntry(server, what, query) {
    var key = listUrl(server, what, query);
    var entry = store[key] || (store[key] = { key: key, server: server });
    if (entry.pending) return entry.pending;
    var d = $.Deferred();
    entry.pending = d.promise();
    E.stats.fetches++;
    $.getJSON(key).then(
      function (rows) {
        entry.rows = $.isArray(rows) ? rows : [];
        entry.at = Date.now();
        entry.preps = {};
        entry.byId = null;
        entry.failedAt = 0;
        entry.pending = null;
        d.resolve(entry);
        labelsChanged(server);
      },
      function (xhr) {
        entry.pending = null;
        entry.failedAt = Date.now();
        d.reject(xhr);
      }
    );
    return entry.pending;
  }

  /**
   * The list `what` (?query) of the chosen server, as a cache entry { rows, ... }: fetched once per
   * open dialog (o.scope: an element of the dialog; its form keeps what it fetched) and shared by
   * every picker of that dialog. o.deployedOnly: only from a deployed, unchanged config node.
   */
  E.list = function (what, query, o) {
    o = o || {};
    var server = o.server || E.serverId();
    if (o.deployedOnly) {
      var cfg = server && RED.nodes.node(server);
      if (!cfg || cfg.changed) return rejected({ quiet: !server });
    }
    if (!askable(server)) return rejected({ status: 404 });
    var form = o.scope ? $(o.scope).closest('form') : $();
    if (!form.length) return fetchEntry(server, what, query);
    var fetched = form.data('iotopen-lists');
    if (!fetched) form.data('iotopen-lists', (fetched = {}));
    var key = listUrl(server, what, query);
    if (!fetched[key]) fetched[key] = fetchEntry(server, what, query);
    return fetched[key];
  };

  /** Lists still being fetched (tests wait for none before reading labels). */
  E.pending = function () {
    return Object.keys(store).filter(function (k) {
      return !!store[k].pending;
    }).length;
  };

  /**
   * The cached entry of a list, or null. With fetch, a list not cached (nor failed within the last
   * minute) is fetched once in the background and the labels of that server's nodes are redrawn.
   */
  function cached(server, what, query, fetch) {
    if (!server) return null;
    var entry = store[listUrl(server, what, query)];
    if (entry && entry.rows) return entry;
    if (
      fetch &&
      window.RED &&
      RED.nodes.node(server) &&
      askable(server) &&
      !(entry && (entry.pending || Date.now() - entry.failedAt < FAILED_RETRY_MS))
    ) {
      fetchEntry(server, what, query).then(null, function () {
        return null;
      });
    }
    return null;
  }

  /** The row of id `id` in a cached entry. */
  function rowById(entry, id) {
    if (!entry) return null;
    if (!entry.byId) {
      entry.byId = {};
      entry.rows.forEach(function (r) {
        if (r && r.id !== undefined && !(String(r.id) in entry.byId)) entry.byId[String(r.id)] = r;
      });
    }
    return entry.byId[String(id)] || null;
  }

  var redrawTimer = null;
  /** A list of `server` arrived: the labels of the nodes using it may now show names. */
  function labelsChanged(server) {
    if (!window.RED || !RED.view || !RED.nodes.eachNode) return;
    if (redrawTimer) clearTimeout(redrawTimer);
    redrawTimer = setTimeout(function () {
      redrawTimer = null;
      var any = false;
      RED.nodes.eachNode(function (n) {
        if (/^iotopen-/.test(n.type) && n.server === server) {
          n.dirty = true;
          any = true;
        }
      });
      if (any) RED.view.redraw(true);
    }, 0);
  }

  function failText(node, xhr) {
    return (xhr && xhr.responseJSON && xhr.responseJSON.error) || common('hint.notDeployed');
  }

  /**
   * A hint line (an empty element) for the pickers: shows why a list could not be loaded --
   * what the server said, or the common hint.notDeployed text.
   */
  E.hint = function (node, selector) {
    return {
      set: function (text) {
        $(selector)
          .text(text || '')
          .toggle(!!text);
      },
      fail: function (xhr) {
        this.set(failText(node, xhr));
      },
    };
  };

  /**
   * A fixed hint (its text is in the form) for pickers that list only from a deployed,
   * unchanged config node: shown while the chosen config node is new or changed, or its list failed.
   */
  E.deployHint = function (selector) {
    return {
      deployedOnly: true,
      set: function (text) {
        $(selector).toggle(!!text);
      },
      fail: function () {
        $(selector).show();
      },
    };
  };

  // ---- what each list holds: the items a picker shows ----------------------------------------

  /** A function's (or device's) name as the lists show it: its meta name, else "<type> <id>". */
  E.functionName = function (f) {
    var m = (f && f.meta) || {};
    return m.name || f.type + ' ' + f.id;
  };
  /** A function's text with its type: name (type). */
  E.functionLabel = function (f) {
    return E.functionName(f) + ' (' + f.type + ')';
  };

  function topicsOf(meta) {
    return Object.keys(meta || {})
      .filter(function (k) {
        return /^topic_/.test(k) && meta[k];
      })
      .map(function (k) {
        return meta[k];
      });
  }

  function cron(s) {
    return [s.minute, s.hour, s.day_of_month, s.month, s.day_of_week]
      .map(function (v) {
        return v || '*';
      })
      .join(' ');
  }

  function item(key, id, name, detail, group, search) {
    return {
      key: String(key),
      id: id === undefined || id === null ? '' : String(id),
      name: String(name),
      detail: detail || '',
      group: group || '',
      search: search,
    };
  }

  /**
   * The kinds of list a picker shows. Each turns the rows of its route into items
   * { key (what the field stores), id (shown on the right), name, detail, group, search },
   * and says, in missing(id, installation), that a stored key is not in the list.
   */
  var KINDS = {
    installations: {
      items: function (rows) {
        var orgs = {};
        rows.forEach(function (r) {
          orgs[r.organization_id] = 1;
        });
        var grouped = Object.keys(orgs).length > 1;
        return rows.map(function (r) {
          var group = grouped && r.organization_id !== undefined ? common('picker.organisation', { id: r.organization_id }) : '';
          var detail = r.client_id !== undefined ? common('picker.client', { client: r.client_id }) : '';
          return item(r.id, r.id, r.name || r.id, detail, group, [r.name, r.id, r.client_id]);
        });
      },
      missing: function (id) {
        return common('picker.missing.installations', { id: id });
      },
    },
    functions: {
      items: function (rows) {
        return rows.map(function (f) {
          var meta = f.meta || {};
          var topics = topicsOf(meta);
          return item(
            f.id,
            f.id,
            E.functionName(f),
            meta.topic_read || meta.topic_write || topics[0] || '',
            f.type,
            [E.functionName(f), f.id, f.type].concat(topics)
          );
        });
      },
      missing: function (id, inst) {
        return common('picker.missing.functions', { id: id, installation: inst });
      },
    },
    // functions with a topic_read (log, status): the topic they add
    readable: {
      items: function (rows) {
        return rows
          .filter(function (f) {
            return f.meta && f.meta.topic_read;
          })
          .map(function (f) {
            return item(f.id, f.id, E.functionName(f), f.meta.topic_read, f.type, [E.functionName(f), f.id, f.type, f.meta.topic_read]);
          });
      },
      missing: function (id, inst) {
        return common('picker.missing.functions', { id: id, installation: inst });
      },
    },
    // the topic_write of functions (schedule): the field stores the topic; any topic may be typed
    writable: {
      free: true,
      items: function (rows) {
        return rows
          .filter(function (f) {
            return f.meta && f.meta.topic_write;
          })
          .map(function (f) {
            return item(f.meta.topic_write, f.id, E.functionName(f), f.meta.topic_write, f.type, [
              E.functionName(f),
              f.id,
              f.type,
              f.meta.topic_write,
            ]);
          });
      },
    },
    // the types of the functions (functionx-in by type): any pattern may be typed
    types: {
      free: true,
      items: function (rows) {
        var count = {};
        var order = [];
        rows.forEach(function (f) {
          if (!(f.type in count)) {
            count[f.type] = 0;
            order.push(f.type);
          }
          count[f.type]++;
        });
        return order.map(function (t) {
          return item(t, '', t, common('picker.functionCount', { count: count[t] }), '', [t]);
        });
      },
    },
    devices: {
      items: function (rows) {
        return rows.map(function (d) {
          var meta = d.meta || {};
          return item(d.id, d.id, E.functionName(d), meta.room || '', d.type, [E.functionName(d), d.id, d.type]);
        });
      },
      missing: function (id, inst) {
        return common('picker.missing.devices', { id: id, installation: inst });
      },
    },
    schedules: {
      items: function (rows) {
        return rows.map(function (s) {
          var detail = cron(s) + (s.active === false ? ' ' + common('picker.off') : '');
          return item(s.id, s.id, s.topic + ' = ' + s.value, detail, s.executor || '', [s.id, s.topic, s.value, s.executor, cron(s)]);
        });
      },
      missing: function (id, inst) {
        return common('picker.missing.schedules', { id: id, installation: inst });
      },
    },
    outputs: {
      items: function (rows) {
        return rows.map(function (r) {
          return item(r.id, r.id, r.name || r.id, '', '', [r.name, r.id]);
        });
      },
      missing: function (id, inst) {
        return common('picker.missing.outputs', { id: id, installation: inst });
      },
    },
    edgeapps: {
      items: function (rows) {
        return rows.map(function (a) {
          var publisher = (a.publisher && (a.publisher.name || a.publisher.id)) || '';
          return item(
            a.id,
            a.id,
            a.name || a.id,
            a.short_description || '',
            a.category || '',
            [a.name, a.id, a.category, publisher].concat(a.tags || [])
          );
        });
      },
      missing: function (id) {
        return common('picker.missing.edgeapps', { id: id });
      },
    },
  };

  var collator = window.Intl && window.Intl.Collator ? new window.Intl.Collator(undefined, { numeric: true, sensitivity: 'base' }) : null;
  function compareText(a, b) {
    if (collator) return collator.compare(a, b);
    return a < b ? -1 : a > b ? 1 : 0;
  }

  /**
   * Sorted items (by group when there are several groups, then by name and id), an index by
   * key, and the unfiltered list with its group headers. Computed once per list and kind.
   */
  function prepare(items) {
    var groups = {};
    var ngroups = 0;
    items.forEach(function (it) {
      it.text = it.search
        .filter(function (s) {
          return s !== undefined && s !== null;
        })
        .join(' ')
        .toLowerCase();
      it.lname = it.name.toLowerCase();
      if (!(it.group in groups)) {
        groups[it.group] = 0;
        ngroups++;
      }
      groups[it.group]++;
    });
    // groups only when they gather something: several groups, two items a group on average
    var grouped = ngroups > 1 && items.length >= 2 * ngroups;
    items.sort(function (a, b) {
      return (grouped && compareText(a.group, b.group)) || compareText(a.name, b.name) || compareText(a.id, b.id);
    });
    var byKey = {};
    var all = [];
    var last = null;
    items.forEach(function (it) {
      if (!(it.key in byKey)) byKey[it.key] = it;
      if (grouped && it.group !== last) {
        all.push({ header: it.group, count: groups[it.group] });
        last = it.group;
      }
      all.push(it);
    });
    return { items: items, byKey: byKey, all: all };
  }

  function prepared(entry, kind) {
    if (!entry.preps) entry.preps = {};
    if (!entry.preps[kind]) {
      var t0 = window.performance ? window.performance.now() : 0;
      entry.preps[kind] = prepare(KINDS[kind].items(entry.rows));
      E.stats.prepareMs[kind] = window.performance ? window.performance.now() - t0 : 0;
    }
    return entry.preps[kind];
  }

  /**
   * The items matching what is typed: every word must appear in the name, id, type or topic
   * (a * is a wildcard, as in type patterns); an exact id first, then names equal to it, then
   * names starting with it, then the others, each in list order. Nothing typed: the whole list
   * with its group headers.
   */
  function search(prep, q) {
    var words = String(q || '')
      .toLowerCase()
      .split(/[\s*]+/)
      .filter(function (w) {
        return w;
      });
    if (!words.length) return prep.all;
    var whole = words.join(' ');
    var hits = [];
    for (var i = 0; i < prep.items.length; i++) {
      var it = prep.items[i];
      var ok = true;
      for (var j = 0; j < words.length && ok; j++) ok = it.text.indexOf(words[j]) >= 0;
      if (!ok) continue;
      var score = it.id === whole || it.key.toLowerCase() === whole ? 0 : it.lname === whole ? 1 : it.lname.indexOf(whole) === 0 ? 2 : 3;
      hits.push({ it: it, score: score, order: hits.length });
    }
    hits.sort(function (a, b) {
      return a.score - b.score || a.order - b.order;
    });
    return hits.map(function (h) {
      return h.it;
    });
  }

  var ESC = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return ESC[c];
    });
  }

  function splitKeys(v) {
    return String(v || '')
      .split(/[\s,]+/)
      .filter(function (s) {
        return s;
      });
  }
  E.splitKeys = splitKeys;

  var ROW = 24; // px per list row (the list draws only the rows in view)
  var VISIBLE = 10; // rows shown before the list scrolls
  var uid = 0;

  /** The styles of the picker, its chips and the preview, added to the page once. */
  function injectStyle() {
    if (document.getElementById('iotopen-editor-style')) return;
    $('<style id="iotopen-editor-style">')
      .text(
        [
          '.iotopen-picker-row-host{position:relative}',
          '.iotopen-picker-field{width:calc(70% - 36px) !important}',
          '.iotopen-picker-toggle{margin-left:4px;min-width:30px;padding:0 8px}',
          '.iotopen-picker-pop{position:absolute;z-index:100;background:var(--red-ui-secondary-background,#fff);border:1px solid var(--red-ui-form-input-border-color,#ccc);border-radius:2px;box-shadow:0 3px 8px var(--red-ui-shadow,rgba(0,0,0,.2))}',
          '.iotopen-picker-status{padding:2px 8px;font-size:11px;line-height:18px;color:var(--red-ui-secondary-text-color,#888);border-bottom:1px solid var(--red-ui-secondary-border-color,#ddd)}',
          '.iotopen-picker-scroll{position:relative;overflow-y:auto}',
          '.iotopen-picker-inner{position:relative}',
          '.iotopen-picker-item,.iotopen-picker-group{position:absolute;left:0;right:0;height:' +
            ROW +
            'px;line-height:' +
            ROW +
            'px;padding:0 8px;box-sizing:border-box;display:flex;gap:6px;white-space:nowrap;overflow:hidden}',
          '.iotopen-picker-item{cursor:pointer;color:var(--red-ui-list-item-color,#555)}',
          '.iotopen-picker-item:hover{background:var(--red-ui-list-item-background-hover,#e6e6e6)}',
          '.iotopen-picker-item.iotopen-picker-active{background:var(--red-ui-list-item-background-selected,#ffebc7)}',
          '.iotopen-picker-item .fa{width:14px;flex:0 0 auto;line-height:' + ROW + 'px}',
          '.iotopen-picker-selected .iotopen-picker-label{font-weight:bold}',
          '.iotopen-picker-group{font-size:11px;font-weight:bold;color:var(--red-ui-secondary-text-color,#888);background:var(--red-ui-tertiary-background,#f7f7f7)}',
          '.iotopen-picker-label{flex:0 1 auto;overflow:hidden;text-overflow:ellipsis}',
          '.iotopen-picker-detail{flex:1 1 auto;overflow:hidden;text-overflow:ellipsis;font-size:12px;color:var(--red-ui-secondary-text-color,#888)}',
          '.iotopen-picker-id{flex:0 0 auto;margin-left:auto;font-family:var(--red-ui-monospace-font,monospace);font-size:11px;color:var(--red-ui-secondary-text-color,#888)}',
          '.iotopen-picker-name{margin:4px 0 0 104px;font-size:12px;line-height:16px;color:var(--red-ui-secondary-text-color,#888);white-space:nowrap;overflow:hidden;text-overflow:ellipsis}',
          '.iotopen-picker-name .fa-check{color:var(--red-ui-text-color-success,#3a3)}',
          '.iotopen-picker-name.iotopen-picker-missing{color:var(--red-ui-text-color-error,#ad1625);white-space:normal}',
          '.iotopen-chips{margin:4px 0 0 104px}',
          '.iotopen-chip{display:inline-block;max-width:100%;overflow:hidden;text-overflow:ellipsis;white-space:nowrap;border:1px solid var(--red-ui-secondary-border-color,#ddd);border-radius:10px;padding:0 8px;margin:0 4px 4px 0;font-size:12px;line-height:18px;background:var(--red-ui-tertiary-background,#f7f7f7)}',
          '.iotopen-chip-missing{border-color:var(--red-ui-border-color-error,#df2935);color:var(--red-ui-text-color-error,#ad1625)}',
          '.iotopen-chip a{margin-left:2px;color:var(--red-ui-secondary-text-color,#888)}',
          '.iotopen-preview{margin:4px 0 0 104px;max-width:calc(100% - 104px)}',
          '.iotopen-preview-head{font-size:12px;color:var(--red-ui-secondary-text-color,#888);margin-bottom:2px}',
          '.iotopen-preview-scroll{max-height:200px;overflow-y:auto;border:1px solid var(--red-ui-secondary-border-color,#ddd)}',
          '.iotopen-preview-table{width:100%;table-layout:fixed;font-size:12px}',
          '.iotopen-preview-table th:nth-child(1){width:34%}',
          '.iotopen-preview-table th:nth-child(2){width:20%}',
          '.iotopen-preview-table th{text-align:left;position:sticky;top:0;background:var(--red-ui-tertiary-background,#f7f7f7);padding:1px 6px}',
          '.iotopen-preview-table td{padding:1px 6px;border-top:1px solid var(--red-ui-secondary-border-color,#ddd);white-space:nowrap;overflow:hidden;text-overflow:ellipsis}',
          '.iotopen-preview-notopic{color:var(--red-ui-text-color-error,#ad1625)}',
          '.iotopen-preview-more{font-size:11px;color:var(--red-ui-secondary-text-color,#888)}',
        ].join('\n')
      )
      .appendTo('head');
  }

  /** "name (id)" of an installation from the cache, or its id. */
  function installationText(server, iid) {
    var r = rowById(cached(server, 'installations', null, false), iid);
    return r && r.name ? r.name + ' (' + iid + ')' : String(iid);
  }

  /**
   * One picker control for every list: the field keeps what it always held (an id, or for
   * some kinds a topic or a type); beside it a button and a click on the field open the whole
   * list, even while an item is selected; typing filters it (name, id, type, topic), arrows and
   * Enter pick, Escape closes; a typed id is kept as it is, a typed name that matches one item
   * becomes its id. Under the field, the selected item's name (or that it is not in the list).
   *   o.input        the field (#node-input-...)
   *   o.what         the list route: installations, functions, devices, schedules, outputs, edgeapps
   *   o.kind         what the list shows (default o.what; readable, writable, types are functions)
   *   o.from         another picker whose list this one shows (as o.kind)
   *   o.installation false: one list for the server; else per #node-input-installation
   *   o.installationTyped  #node-input-installation is a TypedInput (only its num type names one)
   *   o.typed        the field is a TypedInput: the list is for its o.pickType type (default num)
   *   o.multi        the field holds several keys (o.get() / o.set(keys)); picks add or remove;
   *                  o.searchOnly: the field is only a search box; o.chips: where the picks show;
   *                  o.allText(): what the chips say when nothing is picked ('' for nothing)
   *   o.hint         an E.hint / E.deployHint that reports failures (none: failures are silent)
   *   o.empty        hint text while no installation is given
   *   o.clearHint    hide the hint when the list loads
   *   o.saved        { key, name }: the name saved with the node, shown until the list loads
   *   o.loaded(rows, ok) after each (re)load; rows [] when nothing could be listed
   * Returns { load(), rows(), ok(), entry(), item(key), value(), keys(), onLoaded(fn), onChange(fn),
   *   refresh(), open(), close(), listed() }, also as $(o.input).data('iotopen-picker').
   */
  E.picker = function (o) {
    injectStyle();
    var me = ++uid;
    var el = $(o.input);
    var kindName = o.kind || o.what;
    var kind = KINDS[kindName];
    var typed = !!o.typed;
    var pickType = o.pickType || 'num';
    var multi = !!o.multi;
    var perInstallation = !o.from && o.what !== 'installations' && o.what !== 'edgeapps' && o.installation !== false;
    var box = typed ? el.nextAll('.red-ui-typedInput-container').first() : el;
    var text = typed ? box.find('input.red-ui-typedInput-input') : el;
    var row = box.closest('.form-row').addClass('iotopen-picker-row-host');
    var btn = $(
      '<button type="button" class="red-ui-button iotopen-picker-toggle" tabindex="-1"><i class="fa fa-caret-down"></i></button>'
    ).attr('title', common('picker.show'));
    box.addClass('iotopen-picker-field').after(btn);
    var line = $('<div class="iotopen-picker-name"></div>').attr('id', 'iotopen-picked-' + (el.attr('id') || me));
    var chips = o.chips ? $(o.chips).addClass('iotopen-chips') : $();
    if (!multi) btn.after(line);
    var pop = $('<div class="iotopen-picker-pop"></div>').hide().appendTo(row);
    var status = $('<div class="iotopen-picker-status"></div>').appendTo(pop);
    var scroller = $('<div class="iotopen-picker-scroll"></div>').appendTo(pop);
    var inner = $('<div class="iotopen-picker-inner"></div>').appendTo(scroller);

    var src = { rows: [], entry: null, prep: null, ok: false, loading: false, failed: null, iid: '' };
    var view = { open: false, q: '', typed: false, list: [], active: -1 };
    var loadedFns = o.loaded ? [o.loaded] : [];
    var changeFns = [];
    var seq = 0;

    function enabled() {
      return !typed || el.typedInput('type') === pickType;
    }
    function value() {
      if (!enabled()) return '';
      return String((typed ? el.typedInput('value') : el.val()) || '').trim();
    }
    function keys() {
      if (multi) return o.get();
      var v = value();
      return v ? [v] : [];
    }
    function fieldText() {
      return String((typed ? el.typedInput('value') : el.val()) || '');
    }
    function setValue(v) {
      if (typed) el.typedInput('value', v);
      else el.val(v).trigger('change');
    }

    // -- the list ------------------------------------------------------------------------------
    function setRows(entry, ok, failed) {
      src.entry = entry;
      src.rows = entry ? entry.rows : [];
      src.prep = entry ? prepared(entry, kindName) : null;
      src.ok = ok;
      src.failed = failed || null;
      src.loading = false;
      loadedFns.forEach(function (fn) {
        fn(src.rows, ok);
      });
      update();
      if (view.open) refilter(false);
    }

    function load() {
      var mine = ++seq;
      if (o.from) return;
      var query;
      if (perInstallation) {
        var iid = E.installationId(o.installationTyped);
        src.iid = iid;
        if (!iid) {
          if (o.empty && o.hint) o.hint.set(o.empty);
          setRows(null, false, null);
          return;
        }
        query = { installation: iid };
      }
      var deployedOnly = !!(o.hint && o.hint.deployedOnly);
      if (deployedOnly) o.hint.set('');
      src.loading = true;
      update();
      E.list(o.what, query, { scope: el, deployedOnly: deployedOnly }).then(
        function (entry) {
          if (mine !== seq) return;
          if (o.clearHint && o.hint) o.hint.set('');
          setRows(entry, true, null);
        },
        function (xhr) {
          if (mine !== seq) return;
          if (o.hint && !(xhr && xhr.quiet)) o.hint.fail(xhr);
          setRows(null, false, xhr || {});
        }
      );
    }

    if (o.from) {
      o.from.onLoaded(function (rows, ok) {
        setRows(o.from.entry(), ok, null);
      });
    } else {
      // No load here: after oneditprepare Node-RED triggers a change on every field of the
      // node's defaults, #node-input-server (and #node-input-installation) among them.
      $('#node-input-server').on('change', load);
      if (perInstallation) $('#node-input-installation').on('change', load);
    }

    // -- under the field: the selected item's name, or that it is not there ----------------------
    function missingText(v) {
      if (!kind.missing) return '';
      return kind.missing(v, src.iid ? installationText(E.serverId(), src.iid) : '');
    }
    function update() {
      btn.toggle(enabled());
      if (multi) renderChips();
      else renderLine();
      changeFns.forEach(function (fn) {
        fn();
      });
    }
    function renderLine() {
      var v = value();
      var html = '';
      var missing = false;
      var it = v && src.prep ? src.prep.byKey[v] : null;
      if (!v || (view.open && view.typed))
        html = ''; // while typing, the list says what matches
      else if (it)
        html =
          '<i class="fa fa-check"></i> ' +
          esc(it.name) +
          (it.detail ? ' <span class="iotopen-picker-detail">' + esc(it.detail) + '</span>' : '');
      else if (kind.free) html = '';
      else if (src.ok && src.prep) {
        missing = true;
        html =
          '<i class="fa fa-exclamation-triangle"></i> ' + esc(/^\d+$/.test(v) ? missingText(v) : common('picker.noMatch', { text: v }));
      } else if (o.saved && o.saved.name && v === String(o.saved.key)) html = esc(o.saved.name);
      else if (src.loading) html = '<i class="fa fa-spinner fa-spin"></i> ' + esc(common('picker.loading'));
      line.html(html).toggleClass('iotopen-picker-missing', missing).toggle(!!html);
    }
    function renderChips() {
      var ks = o.get();
      var html = [];
      var all = !ks.length && o.allText ? o.allText() : '';
      if (all) html.push('<span class="iotopen-chip iotopen-chip-all">' + esc(all) + '</span>');
      ks.forEach(function (k) {
        var it = src.prep ? src.prep.byKey[k] : null;
        var missing = !it && src.ok && !!src.prep;
        var label = it ? it.name : missing ? common('picker.notFoundChip', { id: k }) : k;
        html.push(
          '<span class="iotopen-chip' +
            (missing ? ' iotopen-chip-missing' : '') +
            '" data-key="' +
            esc(k) +
            '" title="' +
            esc(missing ? missingText(k) : k) +
            '">' +
            esc(label) +
            ' <a href="#" class="iotopen-chip-remove" title="' +
            esc(common('picker.remove')) +
            '"><i class="fa fa-times"></i></a></span>'
        );
      });
      chips.html(html.join(''));
    }
    chips.on('click', '.iotopen-chip-remove', function (e) {
      e.preventDefault();
      var k = String($(this).closest('.iotopen-chip').attr('data-key'));
      o.set(
        o.get().filter(function (x) {
          return x !== k;
        })
      );
      update();
      if (view.open) renderRows();
    });

    // -- the drop-down ---------------------------------------------------------------------------
    function position() {
      var r = row.offset();
      var b = box.offset();
      var left = b.left - r.left;
      var width = Math.max(box.outerWidth() + btn.outerWidth() + 4, 340);
      width = Math.min(width, Math.max(row.innerWidth() - left, 200));
      pop.css({ top: b.top - r.top + box.outerHeight() + 2, left: left, width: width });
    }
    function open(q) {
      if (!enabled()) return;
      view.q = q || '';
      if (!view.open) {
        view.open = true;
        position();
        pop.show();
        $(document).on('mousedown.iotopenpicker' + me, function (e) {
          if (!$(e.target).closest(pop).length && !$(e.target).closest(btn).length && e.target !== text[0]) close();
        });
      }
      refilter(true);
    }
    function close() {
      view.before = undefined;
      if (!view.open) return;
      view.open = false;
      view.typed = false;
      pop.hide();
      $(document).off('mousedown.iotopenpicker' + me);
      if (!multi) renderLine();
    }
    function refilter(toSelected) {
      var t0 = window.performance ? window.performance.now() : 0;
      view.list = src.prep ? search(src.prep, view.q) : [];
      var selected = {};
      keys().forEach(function (k) {
        selected[k] = true;
      });
      view.selected = selected;
      view.active = -1;
      for (var i = 0; i < view.list.length; i++) {
        var e = view.list[i];
        if (!e.header && (view.q ? true : selected[e.key])) {
          view.active = i;
          break;
        }
      }
      var total = src.prep ? src.prep.items.length : 0;
      var shown = view.q
        ? view.list.length
        : view.list.filter(function (x) {
            return !x.header;
          }).length;
      var st;
      if (src.loading) st = common('picker.loading');
      else if (src.failed) st = failText(null, src.failed);
      else if (!src.prep) st = kind.missing && perInstallation ? common('picker.noInstallation') : '';
      else if (!total) st = common('picker.empty');
      else if (view.q && !shown) st = common('picker.none', { text: view.q });
      else if (view.q) st = common('picker.matches', { shown: shown, count: total });
      else st = common('picker.count', { count: total });
      status.text(st);
      inner.css('height', view.list.length * ROW + 'px');
      scroller.css('height', Math.min(view.list.length, VISIBLE) * ROW + 'px');
      if (toSelected && view.active >= 0) scroller.scrollTop(Math.max(0, (view.active - Math.floor(VISIBLE / 2)) * ROW));
      else if (!toSelected) scroller.scrollTop(0);
      renderRows();
      E.stats.lastFilterMs = window.performance ? window.performance.now() - t0 : 0;
    }
    function renderRows() {
      var top = scroller.scrollTop();
      var first = Math.max(0, Math.floor(top / ROW) - 3);
      var last = Math.min(view.list.length, first + VISIBLE + 7);
      var selected = view.selected || {};
      var html = [];
      for (var i = first; i < last; i++) {
        var e = view.list[i];
        if (e.header !== undefined) {
          html.push(
            '<div class="iotopen-picker-group" style="top:' +
              i * ROW +
              'px">' +
              esc(e.header) +
              ' <span class="iotopen-picker-id">' +
              e.count +
              '</span></div>'
          );
          continue;
        }
        var cls =
          'iotopen-picker-item' + (i === view.active ? ' iotopen-picker-active' : '') + (selected[e.key] ? ' iotopen-picker-selected' : '');
        var mark = multi
          ? '<i class="fa fa-' + (selected[e.key] ? 'check-square-o' : 'square-o') + '"></i>'
          : selected[e.key]
            ? '<i class="fa fa-check"></i>'
            : '<i class="fa fa-fw"></i>';
        html.push(
          '<div class="' +
            cls +
            '" data-i="' +
            i +
            '" style="top:' +
            i * ROW +
            'px">' +
            mark +
            '<span class="iotopen-picker-label">' +
            esc(e.name) +
            '</span>' +
            (e.detail
              ? '<span class="iotopen-picker-detail">' + esc(e.detail) + '</span>'
              : '<span class="iotopen-picker-detail"></span>') +
            '<span class="iotopen-picker-id">' +
            esc(e.id) +
            '</span></div>'
        );
      }
      inner.html(html.join(''));
    }
    function move(step) {
      var i = view.active;
      for (var n = 0; n < view.list.length; n++) {
        i += step;
        if (i < 0 || i >= view.list.length) return;
        if (view.list[i].header === undefined) break;
      }
      view.active = i;
      var top = scroller.scrollTop();
      if (i * ROW < top) scroller.scrollTop(i * ROW);
      else if ((i + 1) * ROW > top + scroller.height()) scroller.scrollTop((i + 1) * ROW - scroller.height());
      renderRows();
    }
    function choose(it) {
      if (!multi) {
        close();
        setValue(it.key);
        return;
      }
      var ks = o.get();
      if (!o.searchOnly && view.typed && view.q && ks[ks.length - 1] === view.q) ks.pop(); // the filter text typed in the field
      var at = ks.indexOf(it.key);
      if (at >= 0) ks.splice(at, 1);
      else ks.push(it.key);
      o.set(ks);
      if (o.searchOnly) text.val('');
      view.typed = false;
      update();
      open('');
    }
    /** A typed name (not an id) that one item has, or that only one item matches, becomes its key. */
    function resolveTyped() {
      if (multi || kind.free || !src.prep) return;
      var v = value();
      if (!v || /^\d+$/.test(v) || src.prep.byKey[v]) return;
      var lv = v.toLowerCase();
      var same = src.prep.items.filter(function (it) {
        return it.lname === lv;
      });
      var hits = same.length ? same : search(src.prep, v);
      if (hits.length === 1) setValue(hits[0].key);
    }

    scroller.on('scroll', renderRows);
    pop.on('mousedown', function (e) {
      e.preventDefault(); // the field keeps the focus
    });
    inner.on('click', '.iotopen-picker-item', function () {
      var it = view.list[Number($(this).attr('data-i'))];
      if (it) choose(it);
    });
    btn.on('click', function () {
      if (view.open) close();
      else {
        text.focus();
        view.before = fieldText();
        open('');
      }
    });
    text.on('click', function () {
      if (view.open) return;
      view.before = fieldText();
      open('');
      // typing replaces the selection (and filters the whole list); arrows keep it
      if (!multi && value()) text[0].select();
    });
    text.on('input', function () {
      if (!enabled()) return;
      if (view.before === undefined) view.before = null; // changed without a key (paste): what was there is unknown
      view.typed = true;
      var t = text.val();
      open(multi && !o.searchOnly ? t.split(/[\s,]+/).pop() : t);
      if (!multi) renderLine();
    });
    text.on('keydown', function (e) {
      if (!enabled()) return;
      if (view.before === undefined) view.before = fieldText(); // what Escape gives back
      if (e.keyCode === 40 || e.keyCode === 38) {
        e.preventDefault();
        if (!view.open) open('');
        else move(e.keyCode === 40 ? 1 : -1);
      } else if (view.open && e.keyCode === 13) {
        e.preventDefault();
        var it = view.list[view.active];
        if (it && it.header === undefined) choose(it);
        else {
          close();
          resolveTyped();
        }
      } else if (view.open && e.keyCode === 27) {
        // Escape closes the list and takes back what was typed into the field since it opened
        e.preventDefault();
        e.stopPropagation();
        var before = view.typed && !o.searchOnly ? view.before : null;
        close();
        if (typeof before === 'string') setValue(before);
        else if (o.searchOnly) text.val('');
      } else if (e.keyCode === 9) {
        close();
      }
    });
    text.on('blur', function () {
      setTimeout(function () {
        if (text.is(':focus')) return;
        close();
        resolveTyped();
      }, 150);
    });
    el.on('change', function () {
      // a committed value (Enter, Tab, a script) ends the typing: close the list, name the value
      if (!multi && view.open) close();
      update();
    });

    var api = {
      load: load,
      rows: function () {
        return src.rows;
      },
      ok: function () {
        return src.ok;
      },
      entry: function () {
        return src.entry;
      },
      item: function (k) {
        return src.prep ? src.prep.byKey[String(k)] || null : null;
      },
      value: value,
      keys: keys,
      onLoaded: function (fn) {
        loadedFns.push(fn);
      },
      onChange: function (fn) {
        changeFns.push(fn);
      },
      refresh: update,
      open: open,
      close: close,
      /** The keys of every item of the list, in list order (tests read it: the list draws only the rows in view). */
      listed: function () {
        return src.prep
          ? src.prep.items.map(function (it) {
              return it.key;
            })
          : [];
      },
    };
    el.data('iotopen-picker', api);
    update();
    return api;
  };

  // ---- the pickers each dialog uses ------------------------------------------------------------

  /** The installation field (#node-input-installation, or o.input) of the chosen server. */
  E.installationPicker = function (o) {
    return E.picker($.extend({ input: '#node-input-installation', what: 'installations', clearHint: true }, o));
  };
  /** A function of the chosen installation (o.input: the field; o.kind: readable, writable, ...). */
  E.functionPicker = function (o) {
    return E.picker($.extend({ what: 'functions' }, o));
  };
  E.devicePicker = function (o) {
    return E.picker($.extend({ what: 'devices' }, o));
  };
  E.schedulePicker = function (o) {
    return E.picker($.extend({ what: 'schedules' }, o));
  };
  E.outputPicker = function (o) {
    return E.picker($.extend({ what: 'outputs' }, o));
  };
  E.edgeAppPicker = function (o) {
    return E.picker($.extend({ what: 'edgeapps', installation: false }, o));
  };

  /**
   * A list without a field of its own (notify's messages and executors describe the picked
   * output): loaded with the dialog's lists, handed to o.loaded(rows, ok).
   */
  E.listPicker = function (what, o) {
    var seq = 0;
    function load() {
      var mine = ++seq;
      var iid = E.installationId();
      if (!iid) {
        o.loaded([], false);
        return;
      }
      E.list(what, { installation: iid }, { scope: '#node-input-server' }).then(
        function (entry) {
          if (mine === seq) o.loaded(entry.rows, true);
        },
        function () {
          if (mine === seq) o.loaded([], false);
        }
      );
    }
    $('#node-input-server').on('change', load);
    $('#node-input-installation').on('change', load);
    return { load: load };
  };

  /** The installation id typed or picked in #node-input-installation ('' when it is not one). */
  E.installationId = function (typed) {
    var el = $('#node-input-installation');
    if (typed && el.typedInput('type') !== 'num') return '';
    var v = typed ? el.typedInput('value') : el.val();
    v = String(v || '').trim();
    return /^\d+$/.test(v) ? v : '';
  };

  /**
   * functionx-in/out: keeps the hidden #node-input-fname (the node's label falls back to it) in
   * step with the function picked: its name as the list shows it. An id the list does not hold
   * keeps the saved name only while the list cannot be read and it is the saved id.
   */
  E.showFunctionName = function (node, picker) {
    var savedId = String(node.function === undefined ? '' : node.function).trim();
    var savedName = node.fname || '';
    function update() {
      var id = picker.value();
      var it = id ? picker.item(id) : null;
      $('#node-input-fname').val(it ? it.name : id && id === savedId && !picker.ok() ? savedName : '');
    }
    picker.onChange(update);
    update();
    return update;
  };

  /**
   * iotopen-log / iotopen-status: the functions (with a topic_read) whose topics the node reads,
   * as chips under a search field; the selection is kept in the hidden o.store (ids, comma
   * separated) for oneditsave. Ids the list lacks stay, marked not found.
   *   o.search   the search field        o.chips  where the picked functions show
   *   o.store    the hidden field        o.hint   reports list failures
   */
  E.functionsPicker = function (node, o) {
    $(o.store).val((node.functions || []).map(String).join(','));
    return E.picker({
      input: o.search,
      what: 'functions',
      kind: 'readable',
      multi: true,
      searchOnly: true,
      chips: o.chips,
      hint: o.hint,
      empty: o.empty,
      get: function () {
        return splitKeys($(o.store).val());
      },
      set: function (ks) {
        $(o.store).val(ks.join(','));
      },
    });
  };

  // ---- canvas labels: names from the editor's cache ---------------------------------------------

  /**
   * The installation a label shows: its name from the editor's cache (the list is fetched once per
   * server when a label first needs it), else its id; blank: msg.installation_id.
   */
  E.installationText = function (n, value) {
    var v = String(value === undefined ? n.installation || '' : value).trim();
    if (!v) return 'msg.installation_id';
    if (!/^\d+$/.test(v)) return v;
    var r = rowById(cached(n.server, 'installations', null, true), v);
    return (r && r.name) || v;
  };

  /**
   * The name of object `id` of list `what` (functions, devices, outputs, schedules) of installation
   * `iid` from the cache, or null. fetch: fetch the list once when it is not cached.
   */
  E.cachedName = function (n, what, iid, id, fetch) {
    var i = String(iid || '').trim();
    var k = String(id === undefined || id === null ? '' : id).trim();
    if (!/^\d+$/.test(i) || !k) return null;
    var r = rowById(cached(n.server, what, { installation: i }, !!fetch), k);
    if (!r) return null;
    if (what === 'functions' || what === 'devices') return E.functionName(r);
    if (what === 'schedules') return r.topic + ' = ' + r.value;
    return r.name || null;
  };

  /** An edge app's name from the cache (fetched once per server), or null. */
  E.edgeAppName = function (n, id) {
    var r = rowById(cached(n.server, 'edgeapps', null, true), String(id || '').trim());
    return (r && r.name) || null;
  };

  // ---- functionx-in: which functions a filter matches, as the runtime decides ------------------

  function globRe(pattern) {
    return new RegExp(
      '^' +
        pattern
          .split('*')
          .map(function (p) {
            return p.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
          })
          .join('[\\s\\S]*') +
        '$'
    );
  }

  /**
   * The functions a functionx-in configuration { selectBy, function, ftype, metaFilter } follows,
   * as a test f => boolean, or null when the runtime would refuse the configuration. Mirrors
   * nodes/iotopen-functionx-in (glob of the type: `*` any run of characters, else the exact type)
   * and src/functionx/present.ts compileMetaFilter (each row key = value, `*` a wildcard, a value
   * without `*` the exact value; all rows must match); test/editor/filter-preview.test.js runs both.
   */
  E.fxinMatcher = function (cfg) {
    var selectBy = cfg.selectBy || 'function';
    if (selectBy === 'function') {
      if (!E.isId(cfg.function)) return null;
      var fid = Number(cfg.function);
      return function (f) {
        return f.id === fid;
      };
    }
    if (selectBy === 'type') {
      if (!cfg.ftype || !String(cfg.ftype).trim()) return null;
      var pattern = String(cfg.ftype).trim();
      if (pattern.indexOf('*') < 0) {
        return function (f) {
          return f.type === pattern;
        };
      }
      var re = globRe(pattern);
      return function (f) {
        return re.test(f.type);
      };
    }
    if (selectBy !== 'meta') return null;
    var rows = [];
    var bad = false;
    (cfg.metaFilter || []).forEach(function (r) {
      if (!r || !r.key) return;
      if (typeof r.key !== 'string') bad = true;
      else if (r.key.trim()) rows.push(r);
    });
    if (bad || !rows.length) return null;
    var tests = rows.map(function (r) {
      var key = r.key.trim();
      var v = r.value === null || r.value === undefined ? '*' : String(r.value);
      if (v.indexOf('*') < 0) {
        return function (meta) {
          return meta[key] === v;
        };
      }
      var vre = globRe(v);
      return function (meta) {
        return meta[key] !== undefined && vre.test(meta[key]);
      };
    });
    return function (f) {
      var meta = f.meta || {};
      for (var i = 0; i < tests.length; i++) if (!tests[i](meta)) return false;
      return true;
    };
  };

  /**
   * What a functionx-in configuration follows among `functions`: { error } when the runtime would
   * refuse it, else { matched: [{ f, topic }] } (topic: the function's meta under the topic key,
   * '' when it has none: the runtime does not subscribe to it).
   */
  E.fxinPreview = function (functions, cfg) {
    var topicKey = String(cfg.topicKey || 'topic_read').trim();
    var m = E.fxinMatcher(cfg);
    if (!m) return { error: 'filter' };
    if (topicKey.indexOf('topic_') !== 0) return { error: 'topicKey' };
    var matched = [];
    (functions || []).forEach(function (f) {
      if (m(f)) matched.push({ f: f, topic: (f.meta && f.meta[topicKey]) || '' });
    });
    return { matched: matched, topicKey: topicKey };
  };

  var PREVIEW_ROWS = 100;

  /**
   * functionx-in: under a type or meta filter, the functions it matches now (name, type, topic),
   * from the function list the dialog already holds; redrawn as the filter is edited.
   *   o.box      the element to fill     o.picker  the function picker (its list)
   *   o.config() the filter as the dialog has it now ({ selectBy, ftype, metaFilter, topicKey })
   */
  E.filterPreview = function (node, o) {
    injectStyle();
    var box = $(o.box).addClass('iotopen-preview');
    function draw() {
      var cfg = o.config();
      if (cfg.selectBy !== 'type' && cfg.selectBy !== 'meta') {
        box.hide();
        return;
      }
      box.show();
      if (!o.picker.ok()) {
        box.html('<div class="iotopen-preview-head">' + esc(tr(node, 'preview.noList')) + '</div>');
        return;
      }
      var p = E.fxinPreview(o.picker.rows(), cfg);
      if (p.error) {
        box.html(
          '<div class="iotopen-preview-head">' +
            esc(p.error === 'topicKey' ? tr(node, 'preview.badTopicKey') : tr(node, 'preview.noFilter')) +
            '</div>'
        );
        return;
      }
      var followed = p.matched.filter(function (x) {
        return x.topic;
      }).length;
      var head = p.matched.length
        ? tr(node, 'preview.count', { count: p.matched.length, followed: followed, key: p.topicKey })
        : tr(node, 'preview.none');
      var html = ['<div class="iotopen-preview-head">' + esc(head) + '</div>'];
      if (p.matched.length) {
        html.push('<div class="iotopen-preview-scroll"><table class="iotopen-preview-table"><thead><tr>');
        html.push(
          '<th>' +
            esc(tr(node, 'preview.name')) +
            '</th><th>' +
            esc(tr(node, 'preview.type')) +
            '</th><th>' +
            esc(tr(node, 'preview.topic')) +
            '</th></tr></thead><tbody>'
        );
        p.matched.slice(0, PREVIEW_ROWS).forEach(function (x) {
          html.push(
            '<tr data-id="' +
              esc(x.f.id) +
              '"><td title="' +
              esc(E.functionName(x.f) + ' (' + x.f.id + ')') +
              '">' +
              esc(E.functionName(x.f)) +
              '</td><td title="' +
              esc(x.f.type) +
              '">' +
              esc(x.f.type) +
              '</td>' +
              (x.topic
                ? '<td title="' + esc(x.topic) + '">' + esc(x.topic) + '</td>'
                : '<td class="iotopen-preview-notopic">' + esc(tr(node, 'preview.noTopic', { key: p.topicKey })) + '</td>') +
              '</tr>'
          );
        });
        html.push('</tbody></table></div>');
        if (p.matched.length > PREVIEW_ROWS)
          html.push(
            '<div class="iotopen-preview-more">' + esc(tr(node, 'preview.more', { count: p.matched.length - PREVIEW_ROWS })) + '</div>'
          );
      }
      box.html(html.join(''));
    }
    o.picker.onLoaded(draw);
    draw();
    return draw;
  };

  // ---- iotopen-devicex / iotopen-functionx: one dialog for both ------------------------------

  /** The form rows (class <type>-<name>) each operation needs. */
  E.modelxNeeds = {
    list: ['filter'],
    get: ['object'],
    create: ['silent'],
    update: ['object', 'silent'],
    delete: ['object', 'silent'],
    'meta-get': ['object', 'metakey'],
    'meta-set': ['object', 'metakey', 'silent', 'create'],
    'meta-delete': ['object', 'metakey', 'silent'],
    'find-or-create': ['match', 'silent'],
  };

  /** The canvas label of an unnamed devicex/functionx node: "<word> <op> <object> <key> @<installation>". */
  E.modelxLabel = function (n, word, what) {
    var op = n.operation || 'list';
    var object = '';
    if (/^(get|update|delete|meta-)/.test(op))
      object = ' ' + ((n.objectId && E.cachedName(n, what, n.installation, n.objectId)) || '#' + (n.objectId || 'msg.id'));
    var key = /^meta-/.test(op) && n.metaKeyType === 'str' && n.metaKey ? ' ' + n.metaKey : '';
    return word + ' ' + op + object + key + ' @' + E.installationText(n);
  };

  /** oneditprepare of devicex (what: 'devices') and functionx (what: 'functions'). */
  E.modelxEditor = function (node, what) {
    var p = node.type + '-';
    E.typedInput('metaKey', 'str');
    E.typedInput('filter', 'json');
    var hint = E.hint(node, '#' + p + 'hint');
    E.installationPicker({ hint: hint });
    E.picker({ input: '#node-input-objectId', what: what, hint: hint });
    E.toggleRows('operation', E.modelxNeeds, p);
  };

  window.IotOpenEditor = E;
})();
