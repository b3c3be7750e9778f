// Every CLI command module, imported for its registration side effect.
import './foundation.ts';
