/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "clap-catalog.h"

G_BEGIN_DECLS

/* The catalogue once read: every struct of clap-catalog.h, and the blocks
 * they point to, which live as long as it does. */
typedef struct {
  GPtrArray       *pool;      /* every block the structs point to */
  ClapModelSpec   *models;
  guint            n_models;
  ClapPriceRow    *rows;
  guint            n_rows;
  ClapAnswerNames  answers;
  GHashTable      *states;    /* lower-case state → meaning + 1 */
  char            *override_path;
  GError          *override_error;
} ClapCatalogData;

ClapCatalogData    *_clap_catalog_data_load               (void);
void                _clap_catalog_data_free               (ClapCatalogData *data);
gboolean            _clap_catalog_data_check_file         (const char      *path,
                                                           GError         **error);
gboolean            _clap_catalog_data_check_bytes        (const char      *data,
                                                           gsize            length,
                                                           GError         **error);

void                _clap_catalog_reload_for_tests        (void);
const char * const *_clap_catalog_get_translatable_labels (guint           *n_labels);

G_END_DECLS
