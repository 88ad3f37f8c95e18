/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lgtest-result.h: the result lines the boot test judges, for the static
 * test inits in this directory ("LGTEST: ok <name>" or "LGTEST: FAIL
 * <name>: <why>", counted for the final "LGTEST: END pass=N fail=N").
 * Included once per program, after <stdarg.h>, <stdbool.h>, <stdio.h>.
 */
static int passed, failed;

static void result(bool ok, const char *name, const char *fmt, ...)
{
	va_list ap;

	if (ok) {
		passed++;
		printf("LGTEST: ok %s\n", name);
		return;
	}
	failed++;
	printf("LGTEST: FAIL %s: ", name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}
