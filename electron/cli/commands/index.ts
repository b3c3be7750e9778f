// Every CLI command module, imported for its registration side effect.
import './foundation.ts';
import './analysis.ts';
import './report.ts';
import './acquire.ts';
import './demo.ts';
import './serve.ts';
import './profile.ts';
import './query.ts';
