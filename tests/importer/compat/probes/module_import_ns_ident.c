// SPDX-License-Identifier: GPL-2.0
/*
 * Linux 6.13 ("module: Convert symbol namespace to string literal") made
 * MODULE_IMPORT_NS() take a string literal; before it took a bare
 * identifier.  This probe compiles only with the old, identifier form.
 */
#include <linux/module.h>

MODULE_IMPORT_NS(DMA_BUF);
MODULE_LICENSE("GPL");
