/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "clap-catalog-private.h"
#include "fuzz-common.h"

/* A catalogue file of the person's own is merged over the built-in one and
 * checked entry by entry before anything uses it. Input: the file. It is
 * valid, or refused with a readable message of the catalogue's domain. */

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GError) error = NULL;
  gboolean ok;

  fuzz_init ();

  ok = _clap_catalog_data_check_bytes ((const char *) data, size, &error);
  g_assert (ok == (error == NULL));
  if (error != NULL)
    {
      g_assert (error->domain == CLAP_CATALOG_ERROR);
      g_assert (g_utf8_validate (error->message, -1, NULL));
    }

  return 0;
}
