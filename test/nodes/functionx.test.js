'use strict';
const { modelxSuite } = require('./modelx-suite');

modelxSuite('functionx');
