/* SPDX-License-Identifier: Apache-2.0
 * Test plugin "missing-symbol": a shared object without the entry point. */
int confab_adapter_something_else(void);
int confab_adapter_something_else(void) { return 0; }
