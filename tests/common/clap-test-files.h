/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Input files built byte by byte: headers exactly as the formats define
 * them, padded, so every reader branch can be reached without an encoder. */
GBytes *clap_test_make_png   (guint32      width,
                              guint32      height,
                              gsize        padding);
GBytes *clap_test_make_jpeg  (guint16      width,
                              guint16      height);
GBytes *clap_test_make_mp4   (const char  *brand,
                              guint32      timescale,
                              guint32      duration,
                              guint32      width,
                              guint32      height,
                              gboolean     mdat_first,
                              gboolean     version1);

/* One track of clap_test_make_mp4_tracks(). */
typedef struct {
  const char *handler;          /* "vide", "soun", "tmcd"… */
  guint32     width;            /* tkhd, pixels */
  guint32     height;
  guint32     timescale;        /* mdhd; 0 leaves the mdhd out */
  guint32     header_duration;  /* tkhd and mdhd, in the track's own units */
  gboolean    no_sample_table;  /* leaves out stbl and its stts */
  guint32     sample_count;     /* stts: one run of sample_count × sample_delta */
  guint32     sample_delta;
  guint32     fragment_samples; /* samples of the track in each fragment's trun */
  guint32     fragment_delta;   /* written per sample in the trun; 0: the defaults */
  guint32     tfhd_delta;       /* tfhd's default sample duration; 0: none */
  guint32     trex_delta;       /* trex's default sample duration */
} ClapTestTrack;

GBytes *clap_test_make_mp4_tracks (guint32              movie_timescale,
                                   guint32              movie_duration,
                                   const ClapTestTrack *tracks,
                                   guint                n_tracks,
                                   guint                n_fragments);
char   *clap_test_make_lying_mp4  (const char          *dir,
                                   const char          *name,
                                   double               real_seconds,
                                   double               claimed_seconds);

char   *clap_test_write      (const char  *dir,
                              const char  *name,
                              GBytes      *bytes);

void    clap_test_rm_rf      (const char  *path);

/* Starts $CLAPBOARD_CLI with @args (NULL-terminated) through @launcher. */
GSubprocess *clap_test_spawn_cli (GSubprocessLauncher *launcher,
                                  const char * const  *args);

G_END_DECLS
