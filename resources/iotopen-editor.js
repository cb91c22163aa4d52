/*
 * Shared editor code of @lynxflow/node-red-iotopen: the pickers, hints, validators and
 * TypedInput helpers the nodes' edit dialogs have in common, as one global,
 * window.IotOpenEditor.
 *
 * Every node's .html loads this file before its own script:
 *   <script type="text/javascript" src="resources/@lynxflow/node-red-iotopen/iotopen-editor.js"></script>
 * Node-RED serves it from the package's resources/ folder and runs it once per node file
 * that includes it; the first run defines IotOpenEditor and later runs keep it.
 *
 * Strings: a helper given a node (in oneditprepare: `this`) or a node type reads its texts
 * from that node's own catalogue through the node's _(): tr(node, 'hint.noInstallation') is
 * '<type>.hint.noInstallation'. Texts every node shares (Server, Name, the not-deployed hint)
 * live once, in the pack's common namespace (the `common` section of the config node's
 * catalogue): common('hint.notDeployed'); a dialog's data-i18n names them in full as
 * "@lynxflow/node-red-iotopen/iotopen-config:common.<key>". test/editor/i18n.test.js follows
 * each IotOpenEditor.<helper> an .html calls to the tr() and common() keys it reads and checks
 * them in that node's (or the common) en-US catalogue, so keep the keys literal.
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

  // ---- lists from the config node's admin routes -------------------------------------------

  E.serverId = function () {
    return $('#node-input-server').val();
  };

  /** GET iotopen/<config id>/<what>?<query> of the chosen config node; rejects when none is chosen. */
  E.fetchList = function (what, query) {
    var id = E.serverId();
    if (!id || id === '_ADD_') return $.Deferred().reject({ status: 404 }).promise();
    return $.getJSON('iotopen/' + encodeURIComponent(id) + '/' + what + (query ? '?' + $.param(query) : ''));
  };

  /** The installation id typed or picked in #node-input-installation ('' when it is not one). */
  E.installationId = function (typed) {
    var el = $('#node-input-installation');
    if (typed && el.typedInput('type') !== 'num') return '';
    var v = typed ? el.typedInput('value') : el.val();
    return /^\d+$/.test(v || '') ? v : '';
  };

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
        $(selector).text(text || '').toggle(!!text);
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

  function fetchDeployed(what, query) {
    var id = E.serverId();
    var cfg = id && RED.nodes.node(id);
    if (!cfg || cfg.changed) return $.Deferred().reject({ quiet: !id }).promise();
    return E.fetchList(what, query);
  }

  /**
   * Fills a list (a <datalist>, <select> or box) from iotopen/<config id>/<what>, now and when
   * the server (and, for per-installation lists, the installation) changes. Ids can always be typed.
   *   o.list       the element to fill
   *   o.hint       an E.hint / E.deployHint that reports failures (none: failures are silent)
   *   o.label(row) the text of the default <option value="<row.id>"> (default: name (id))
   *   o.render(row) an element to append instead (nothing: the row is left out)
   *   o.installation false: one list for the server; else per #node-input-installation
   *   o.typed      #node-input-installation is a TypedInput (only its num type names an installation)
   *   o.empty      hint text while no installation is given
   *   o.clearHint  hide the hint when the list loads
   *   o.loaded(rows, ok) after each (re)load; rows [] when nothing could be listed
   * Returns { load(), rows(), onLoaded(fn) }.
   */
  E.listPicker = function (what, o) {
    var rows = [];
    var seq = 0; // only the latest load fills the list (Node-RED triggers several changes at once)
    var listeners = o.loaded ? [o.loaded] : [];
    var perInstallation = what !== 'installations' && o.installation !== false;
    function done(list, ok) {
      rows = list;
      listeners.forEach(function (fn) {
        fn(list, ok);
      });
    }
    function render(row) {
      if (o.render) return o.render(row);
      return $('<option>').attr('value', row.id).text(o.label ? o.label(row) : row.name + ' (' + row.id + ')');
    }
    function load() {
      var mine = ++seq;
      var query;
      $(o.list).empty();
      var deployedOnly = o.hint && o.hint.deployedOnly;
      if (perInstallation) {
        var iid = E.installationId(o.typed);
        if (!iid) {
          if (o.empty) o.hint.set(o.empty);
          done([], false);
          return;
        }
        query = { installation: iid };
      }
      if (deployedOnly) o.hint.set('');
      (deployedOnly ? fetchDeployed(what, query) : E.fetchList(what, query)).then(
        function (answer) {
          if (mine !== seq) return;
          var list = $(o.list).empty();
          answer = answer || [];
          if (o.clearHint) o.hint.set('');
          answer.forEach(function (row) {
            var el = render(row);
            if (el) list.append(el);
          });
          done(answer, true);
        },
        function (xhr) {
          if (mine !== seq) return;
          if (o.hint && !(xhr && xhr.quiet)) o.hint.fail(xhr);
          done([], false);
        }
      );
    }
    // No load here: after oneditprepare Node-RED triggers a change on every field of the
    // node's defaults, #node-input-server (and #node-input-installation) among them.
    $('#node-input-server').on('change', load);
    if (perInstallation) $('#node-input-installation').on('change', load);
    return {
      load: load,
      rows: function () {
        return rows;
      },
      onLoaded: function (fn) {
        listeners.push(fn);
      },
    };
  };

  /** The installations of the chosen server: options "name (id)" unless o.label/o.render say otherwise. */
  E.installationPicker = function (o) {
    return E.listPicker('installations', $.extend({ clearHint: true }, o));
  };
  /** The functions of the chosen installation (o.label or o.render required). */
  E.functionPicker = function (o) {
    return E.listPicker('functions', o);
  };
  E.devicePicker = function (o) {
    return E.listPicker('devices', o);
  };
  E.schedulePicker = function (o) {
    return E.listPicker('schedules', o);
  };
  E.outputPicker = function (o) {
    return E.listPicker('outputs', o);
  };

  /** A function's name as the lists show it: its meta name, else "<type> <id>". */
  E.functionName = function (f) {
    var m = (f && f.meta) || {};
    return m.name || f.type + ' ' + f.id;
  };
  /** A function picker's option text: name (type). */
  E.functionLabel = function (f) {
    return E.functionName(f) + ' (' + f.type + ')';
  };

  /**
   * functionx-in/out: keeps the hidden #node-input-fname (the node's label) and the visible
   * line #node-input-iotopen-fname in step with the function id in #node-input-function:
   * the picked function's name as the list shows it. An id the list does not (yet) hold keeps
   * the saved name only while it is the saved id.
   */
  E.showFunctionName = function (node, picker, typed) {
    var input = $('#node-input-function');
    var savedId = String(node.function === undefined ? '' : node.function).trim();
    var savedName = node.fname || '';
    function update() {
      var num = !typed || input.typedInput('type') === 'num';
      var id = String((typed ? input.typedInput('value') : input.val()) || '').trim();
      var f = num && id
        ? picker.rows().filter(function (x) {
            return String(x.id) === id;
          })[0]
        : undefined;
      var name = f ? E.functionName(f) : num && id && id === savedId ? savedName : '';
      $('#node-input-fname').val(name);
      $('#node-input-iotopen-fname')
        .text(f ? E.functionLabel(f) : name)
        .toggle(!!name);
    }
    input.on('change', update);
    picker.onLoaded(update);
    update();
    return update;
  };

  /**
   * iotopen-log / iotopen-status: the multi-select #node-input-functions of the functions
   * with a topic_read, keeping the node's selection (ids the list lacks stay, marked not found).
   *   o.tip      the tips line under the list
   *   o.tipText  its text once the list has loaded
   */
  E.functionSelect = function (node, o) {
    var seq = 0; // only the latest load fills the list
    function load(selected) {
      var mine = ++seq;
      var sel = $('#node-input-functions').empty();
      var tip = $(o.tip);
      var iid = E.installationId();
      function add(id, text) {
        $('<option>').attr('value', id).text(text).prop('selected', selected.indexOf(String(id)) >= 0).appendTo(sel);
      }
      selected.forEach(function (id) {
        add(id, String(id));
      });
      if (!iid) {
        tip.text(tr(node, 'hint.noInstallation'));
        return;
      }
      E.fetchList('functions', { installation: iid }).then(
        function (rows) {
          if (mine !== seq) return;
          sel.empty();
          tip.text(o.tipText || '');
          rows.forEach(function (f) {
            var meta = f.meta || {};
            if (meta.topic_read) add(f.id, (meta.name || f.type) + ' - ' + meta.topic_read);
          });
          selected.forEach(function (id) {
            if (!sel.find('option[value="' + id + '"]').length) add(id, tr(node, 'hint.notFound', { id: id }));
          });
        },
        function (xhr) {
          if (mine !== seq) return;
          tip.text(failText(node, xhr));
        }
      );
    }
    // The node's selection is listed now; the changes Node-RED triggers after oneditprepare
    // reload the list keeping what is selected. Another installation starts a new selection.
    var shownFor = E.installationId();
    function reload() {
      var iid = E.installationId();
      var keep = iid === shownFor ? ($('#node-input-functions').val() || []).map(String) : [];
      shownFor = iid;
      load(keep);
    }
    load((node.functions || []).map(String));
    $('#node-input-server').on('change', reload);
    $('#node-input-installation').on('change', reload);
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

  /** The canvas label of an unnamed devicex/functionx node: "<word> <op> #<id> <key> @<installation>". */
  E.modelxLabel = function (n, word) {
    var op = n.operation || 'list';
    var what = /^(get|update|delete|meta-)/.test(op) ? ' #' + (n.objectId || 'msg.id') : '';
    var key = /^meta-/.test(op) && n.metaKeyType === 'str' && n.metaKey ? ' ' + n.metaKey : '';
    return word + ' ' + op + what + key + ' @' + (n.installation || 'msg.installation_id');
  };

  /** oneditprepare of devicex (what: 'devices') and functionx (what: 'functions'). */
  E.modelxEditor = function (node, what) {
    var p = node.type + '-';
    E.typedInput('metaKey', 'str');
    E.typedInput('filter', 'json');
    var hint = E.hint(node, '#' + p + 'hint');
    E.installationPicker({ list: '#' + p + 'installations', hint: hint });
    E.listPicker(what, {
      list: '#' + p + 'objects',
      hint: hint,
      label: function (x) {
        var meta = x.meta || {};
        return (meta.name || x.type) + ' [' + x.type + '] (' + x.id + ')';
      },
    });
    E.toggleRows('operation', E.modelxNeeds, p);
  };

  window.IotOpenEditor = E;
})();
