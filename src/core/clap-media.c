/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clap-media"

#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "clap-catalog.h"
#include "clap-media.h"

/* Reads just enough of an image or a video to know its kind, pixel size and
 * length, so that a file the provider would refuse is refused here, before it
 * is uploaded and before any money is spent. Only headers are read: a 100 MB
 * video costs a few small reads, and no decoder runs.
 */

G_DEFINE_QUARK (clap-media-error-quark, clap_media_error)

#define MAX_BOX_DEPTH 8

typedef struct {
  GInputStream *stream;
  guint64       size;
  guint64       pos;         /* where the next read starts */
  guint64       stream_pos;  /* where the stream is */
  /* The first bytes, kept once sniffed, so that a stream that cannot seek
   * (a pipe) is still parsed from its start. */
  guint8        head[12];
  gsize         head_len;
  GError      **error;
} Reader;

static gboolean
corrupt (Reader     *r,
         const char *what)
{
  if (r->error != NULL && *r->error == NULL)
    g_set_error (r->error, CLAP_MEDIA_ERROR, CLAP_MEDIA_ERROR_CORRUPT,
                 _("The file looks damaged: %s."), what);
  return FALSE;
}

/* Moves where the next read starts; the stream follows when it is read. */
static gboolean
reader_seek (Reader  *r,
             guint64  pos)
{
  if (pos > r->size)
    return corrupt (r, _("a part of it points past its end"));

  r->pos = pos;
  return TRUE;
}

/* Brings the stream to the next read: a seek, or a skip forward when it
 * cannot seek. */
static gboolean
reader_sync (Reader *r)
{
  GError *local_error = NULL;

  if (r->stream_pos == r->pos)
    return TRUE;

  if (G_IS_SEEKABLE (r->stream) && g_seekable_can_seek (G_SEEKABLE (r->stream)))
    {
      if (!g_seekable_seek (G_SEEKABLE (r->stream), (goffset) r->pos, G_SEEK_SET, NULL,
                            &local_error))
        {
          g_propagate_error (r->error, local_error);
          return FALSE;
        }
    }
  else if (r->pos > r->stream_pos)
    {
      guint64 left = r->pos - r->stream_pos;

      while (left > 0)
        {
          gssize n = g_input_stream_skip (r->stream, MIN (left, G_MAXSSIZE), NULL, &local_error);
          if (n <= 0)
            {
              if (local_error != NULL)
                g_propagate_error (r->error, local_error);
              else
                corrupt (r, _("it ends too early"));
              return FALSE;
            }
          left -= (guint64) n;
        }
    }
  else
    {
      return corrupt (r, _("it cannot be read twice"));
    }

  r->stream_pos = r->pos;
  return TRUE;
}

static gboolean
reader_read (Reader *r,
             void   *buffer,
             gsize   len)
{
  guint8 *out = buffer;
  gsize n_read = 0;
  GError *local_error = NULL;

  if (len > r->size - MIN (r->pos, r->size))
    return corrupt (r, _("it ends too early"));

  if (r->pos < r->head_len)
    {
      gsize n = (gsize) MIN (len, r->head_len - r->pos);

      memcpy (out, r->head + r->pos, n);
      r->pos += n;
      out += n;
      len -= n;
      if (len == 0)
        return TRUE;
    }

  if (!reader_sync (r))
    return FALSE;

  if (!g_input_stream_read_all (r->stream, out, len, &n_read, NULL, &local_error))
    {
      g_propagate_error (r->error, local_error);
      return FALSE;
    }

  r->pos += n_read;
  r->stream_pos += n_read;
  if (n_read != len)
    return corrupt (r, _("it ends too early"));

  return TRUE;
}

static guint32
be32 (const guint8 *p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) | ((guint32) p[2] << 8) | p[3];
}

static guint64
be64 (const guint8 *p)
{
  return ((guint64) be32 (p) << 32) | be32 (p + 4);
}

static guint16
be16 (const guint8 *p)
{
  return (guint16) ((p[0] << 8) | p[1]);
}

static gboolean
probe_png (Reader        *r,
           ClapMediaInfo *info)
{
  guint8 ihdr[16];

  /* signature (8) is already read; then length (4) "IHDR" width height */
  if (!reader_read (r, ihdr, sizeof ihdr))
    return FALSE;

  if (memcmp (ihdr + 4, "IHDR", 4) != 0)
    return corrupt (r, _("the PNG header is missing"));

  info->width = be32 (ihdr + 8);
  info->height = be32 (ihdr + 12);
  if (info->width == 0 || info->height == 0 || info->width > G_MAXINT32 || info->height > G_MAXINT32)
    return corrupt (r, _("the PNG header gives an impossible size"));

  return TRUE;
}

static gboolean
probe_jpeg (Reader        *r,
            ClapMediaInfo *info)
{
  /* The SOI marker is already read; walk the segments to the frame header. */
  for (;;)
    {
      guint8 marker[2];
      guint8 len_bytes[2];
      guint16 len;

      if (!reader_read (r, marker, 1))
        return FALSE;
      if (marker[0] != 0xff)
        return corrupt (r, _("the JPEG markers are out of order"));

      /* Any number of 0xff fill bytes may precede a marker. */
      do
        {
          if (!reader_read (r, marker + 1, 1))
            return FALSE;
        }
      while (marker[1] == 0xff);

      if (marker[1] == 0xd9 || marker[1] == 0xda)
        return corrupt (r, _("the JPEG has no frame header"));

      if (marker[1] == 0x01 || (marker[1] >= 0xd0 && marker[1] <= 0xd7))
        continue;

      if (!reader_read (r, len_bytes, 2))
        return FALSE;
      len = be16 (len_bytes);
      if (len < 2)
        return corrupt (r, _("a JPEG segment has a bad length"));

      if (marker[1] >= 0xc0 && marker[1] <= 0xcf &&
          marker[1] != 0xc4 && marker[1] != 0xc8 && marker[1] != 0xcc)
        {
          guint8 sof[5];

          if (len < 7 || !reader_read (r, sof, sizeof sof))
            return corrupt (r, _("the JPEG frame header is short"));

          info->height = be16 (sof + 1);
          info->width = be16 (sof + 3);
          if (info->width == 0 || info->height == 0)
            return corrupt (r, _("the JPEG frame header gives an impossible size"));
          return TRUE;
        }

      if (!reader_seek (r, r->pos + len - 2))
        return FALSE;
    }
}

typedef struct {
  guint64  start;     /* of the payload */
  guint64  end;
  char     type[5];
} Box;

static gboolean
read_box (Reader  *r,
          guint64  limit,
          Box     *box)
{
  guint8 head[8];
  guint64 box_start = r->pos;
  guint64 size;

  if (!reader_read (r, head, sizeof head))
    return FALSE;

  memcpy (box->type, head + 4, 4);
  box->type[4] = '\0';
  size = be32 (head);

  if (size == 1)
    {
      guint8 large[8];

      if (!reader_read (r, large, sizeof large))
        return FALSE;
      size = be64 (large);
      if (size < 16)
        return corrupt (r, _("a box of the video has a bad size"));
    }
  else if (size == 0)
    {
      size = limit - box_start;
    }
  else if (size < 8)
    {
      return corrupt (r, _("a box of the video has a bad size"));
    }

  if (size > limit - box_start)
    return corrupt (r, _("a box of the video runs past its end"));

  box->start = r->pos;
  box->end = box_start + size;
  return TRUE;
}

/* The length of a movie is what its samples last, not what its headers
 * say: mvhd, tkhd and mdhd hold a duration that a file can set to
 * anything (a 40 s motion video whose headers claim 5 s plays 40 s, is
 * billed and refused by the provider as 40 s). So each track's sample
 * table (stts) is summed, and the runs of a fragmented file (trun) added;
 * a track's own header counts only when it has no samples table at all,
 * and the movie header only when no track has a length.
 */

/* More tracks than this is not a video a person made, and the tables
 * below stay small. */
#define MAX_TRACKS        32

/* Sample table entries are read this many at a time. */
#define ENTRIES_PER_READ  512

/* trun flags: which fields each sample entry has, and what comes first. */
#define TRUN_DATA_OFFSET        0x000001
#define TRUN_FIRST_SAMPLE_FLAGS 0x000004
#define TRUN_SAMPLE_DURATION    0x000100
#define TRUN_SAMPLE_FIELDS      0x000f00

/* tfhd flags */
#define TFHD_BASE_DATA_OFFSET   0x000001
#define TFHD_DESCRIPTION_INDEX  0x000002
#define TFHD_DEFAULT_DURATION   0x000008

typedef struct {
  guint32  id;
  char     handler[5];
  guint    width;
  guint    height;
  guint32  timescale;         /* mdhd */
  guint64  header_duration;   /* mdhd, in timescale units */
  gboolean has_header;        /* an mdhd was read */
  gboolean has_samples;       /* an stts or a trun was read */
  guint64  sample_duration;   /* the stts and trun deltas, in timescale units */
} Track;

typedef struct {
  guint32 track_id;
  guint32 default_duration;
} TrackDefaults;

typedef struct {
  gboolean       has_mvhd;
  double         mvhd_duration;
  Track          tracks[MAX_TRACKS];
  guint          n_tracks;
  TrackDefaults  trex[MAX_TRACKS];
  guint          n_trex;

  /* The trak being read; the track and the default sample duration of
   * the traf being read. */
  Track         *track;
  Track         *fragment_track;
  guint32        fragment_default_duration;
} Movie;

/* Sums that a hostile table could push past 64 bits stop at the top. */
static guint64
add_saturating (guint64 a,
                guint64 b)
{
  return a > G_MAXUINT64 - b ? G_MAXUINT64 : a + b;
}

static Track *
find_track (Movie   *movie,
            guint32  id)
{
  for (guint i = 0; i < movie->n_tracks; i++)
    if (movie->tracks[i].id == id)
      return &movie->tracks[i];
  return NULL;
}

/* mvhd and mdhd start alike: version, flags, two times, then the time
 * scale and the duration, 32 or 64 bits wide by version. */
static gboolean
parse_media_times (Reader     *r,
                   Box        *box,
                   const char *short_message,
                   guint32    *timescale,
                   guint64    *duration)
{
  guint8 buf[32];

  if (box->end - box->start < 20 || !reader_read (r, buf, 1))
    return corrupt (r, short_message);

  if (buf[0] == 1)
    {
      if (box->end - box->start < 32 || !reader_read (r, buf + 1, 31))
        return corrupt (r, short_message);
      *timescale = be32 (buf + 20);
      *duration = be64 (buf + 24);
    }
  else
    {
      if (!reader_read (r, buf + 1, 19))
        return FALSE;
      *timescale = be32 (buf + 12);
      *duration = be32 (buf + 16);
    }

  return TRUE;
}

static gboolean
parse_mvhd (Reader *r,
            Box    *box,
            Movie  *movie)
{
  guint32 timescale;
  guint64 duration;

  if (!parse_media_times (r, box, _("the movie header is short"), &timescale, &duration))
    return FALSE;

  if (timescale == 0)
    return corrupt (r, _("the movie header has no time scale"));

  movie->mvhd_duration = (double) duration / timescale;
  movie->has_mvhd = TRUE;
  return TRUE;
}

static gboolean
parse_mdhd (Reader *r,
            Box    *box,
            Track  *track)
{
  if (!parse_media_times (r, box, _("a track's media header is short"),
                          &track->timescale, &track->header_duration))
    return FALSE;

  track->has_header = TRUE;
  return TRUE;
}

static gboolean
parse_tkhd (Reader *r,
            Box    *box,
            Track  *track)
{
  guint8 buf[96];
  gsize need;
  guint off;

  if (!reader_read (r, buf, 1))
    return FALSE;

  /* version, flags, times, track id, duration, layer, volume, matrix,
   * then width and height */
  need = buf[0] == 1 ? 96 : 84;
  off = buf[0] == 1 ? 88 : 76;
  if (box->end - box->start < need || !reader_read (r, buf + 1, need - 1))
    return corrupt (r, _("a track header is short"));

  track->id = be32 (buf + (buf[0] == 1 ? 20 : 12));
  /* 16.16 fixed point */
  track->width = be32 (buf + off) >> 16;
  track->height = be32 (buf + off + 4) >> 16;
  return TRUE;
}

static gboolean
parse_hdlr (Reader *r,
            Box    *box,
            Track  *track)
{
  guint8 buf[12];

  if (box->end - box->start < 12 || !reader_read (r, buf, sizeof buf))
    return corrupt (r, _("a handler box is short"));

  memcpy (track->handler, buf + 8, 4);
  track->handler[4] = '\0';
  return TRUE;
}

/* The time-to-sample table: runs of (sample count, sample delta). */
static gboolean
parse_stts (Reader *r,
            Box    *box,
            Track  *track)
{
  guint8 head[8];
  guint64 left;

  if (box->end - box->start < 8 || !reader_read (r, head, sizeof head))
    return corrupt (r, _("a sample table is short"));

  left = be32 (head + 4);
  if (left > (box->end - box->start - 8) / 8)
    return corrupt (r, _("a sample table runs past its box"));

  track->has_samples = TRUE;

  while (left > 0)
    {
      guint8 entries[ENTRIES_PER_READ * 8];
      guint n = (guint) MIN (left, ENTRIES_PER_READ);

      if (!reader_read (r, entries, (gsize) n * 8))
        return FALSE;

      for (guint i = 0; i < n; i++)
        track->sample_duration = add_saturating (track->sample_duration,
                                                 (guint64) be32 (entries + 8 * i) *
                                                 be32 (entries + 8 * i + 4));
      left -= n;
    }

  return TRUE;
}

/* A fragmented file's per-track defaults (moov/mvex/trex). */
static gboolean
parse_trex (Reader *r,
            Box    *box,
            Movie  *movie)
{
  guint8 buf[16];

  if (box->end - box->start < 16 || !reader_read (r, buf, sizeof buf))
    return corrupt (r, _("a fragment defaults box is short"));

  if (movie->n_trex == MAX_TRACKS)
    return corrupt (r, _("it has too many tracks"));

  movie->trex[movie->n_trex].track_id = be32 (buf + 4);
  movie->trex[movie->n_trex].default_duration = be32 (buf + 12);
  movie->n_trex++;
  return TRUE;
}

static gboolean
parse_tfhd (Reader *r,
            Box    *box,
            Movie  *movie)
{
  guint8 buf[8];
  guint32 flags;
  guint32 id;
  guint64 skip = 0;

  if (box->end - box->start < 8 || !reader_read (r, buf, sizeof buf))
    return corrupt (r, _("a fragment header is short"));

  flags = be32 (buf) & 0xffffff;
  id = be32 (buf + 4);

  movie->fragment_track = find_track (movie, id);
  movie->fragment_default_duration = 0;
  for (guint i = 0; i < movie->n_trex; i++)
    if (movie->trex[i].track_id == id)
      {
        movie->fragment_default_duration = movie->trex[i].default_duration;
        break;
      }

  if (flags & TFHD_BASE_DATA_OFFSET)
    skip += 8;
  if (flags & TFHD_DESCRIPTION_INDEX)
    skip += 4;

  if (flags & TFHD_DEFAULT_DURATION)
    {
      if (skip + 4 > box->end - r->pos)
        return corrupt (r, _("a fragment header is short"));
      if (!reader_seek (r, r->pos + skip) || !reader_read (r, buf, 4))
        return FALSE;
      movie->fragment_default_duration = be32 (buf);
    }

  return TRUE;
}

/* A run of samples of a fragment: each has its own duration, or the
 * fragment's (or the track's) default one. */
static gboolean
parse_trun (Reader *r,
            Box    *box,
            Movie  *movie)
{
  Track *track = movie->fragment_track;
  guint8 head[8];
  guint32 flags;
  guint64 count;
  guint64 skip = 0;
  guint entry_size = 0;

  if (box->end - box->start < 8 || !reader_read (r, head, sizeof head))
    return corrupt (r, _("a fragment run is short"));

  flags = be32 (head) & 0xffffff;
  count = be32 (head + 4);

  if (flags & TRUN_DATA_OFFSET)
    skip += 4;
  if (flags & TRUN_FIRST_SAMPLE_FLAGS)
    skip += 4;
  for (guint32 bit = 0x100; bit & TRUN_SAMPLE_FIELDS; bit <<= 1)
    if (flags & bit)
      entry_size += 4;

  if (skip > box->end - r->pos || count * entry_size > box->end - r->pos - skip)
    return corrupt (r, _("a fragment run runs past its box"));

  /* A run for a track the movie does not declare is never played. */
  if (track == NULL)
    return TRUE;

  track->has_samples = TRUE;

  if (!(flags & TRUN_SAMPLE_DURATION))
    {
      track->sample_duration = add_saturating (track->sample_duration,
                                               count * movie->fragment_default_duration);
      return TRUE;
    }

  if (!reader_seek (r, r->pos + skip))
    return FALSE;

  while (count > 0)
    {
      guint8 entries[ENTRIES_PER_READ * 16];
      guint n = (guint) MIN (count, ENTRIES_PER_READ);

      if (!reader_read (r, entries, (gsize) n * entry_size))
        return FALSE;

      /* The duration is the first field of an entry when it is there. */
      for (guint i = 0; i < n; i++)
        track->sample_duration = add_saturating (track->sample_duration,
                                                 be32 (entries + (gsize) i * entry_size));
      count -= n;
    }

  return TRUE;
}

/* The boxes that hold other boxes, each under the one parent it may have. */
static gboolean
is_container (const char *type,
              const char *parent)
{
  static const char *const containers[][2] = {
    { "moov", "" }, { "moof", "" },
    { "trak", "moov" }, { "mvex", "moov" },
    { "mdia", "trak" }, { "minf", "mdia" }, { "stbl", "minf" },
    { "traf", "moof" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (containers); i++)
    if (g_str_equal (type, containers[i][0]) && g_str_equal (parent, containers[i][1]))
      return TRUE;
  return FALSE;
}

static gboolean
walk_boxes (Reader     *r,
            guint64     start,
            guint64     end,
            guint       depth,
            const char *parent,
            Movie      *movie)
{
  guint64 pos = start;

  if (depth > MAX_BOX_DEPTH)
    return corrupt (r, _("its boxes are nested too deeply"));

  while (pos + 8 <= end)
    {
      Box box;
      gboolean ok = TRUE;

      if (!reader_seek (r, pos) || !read_box (r, end, &box))
        return FALSE;

      if (g_str_equal (box.type, "trak") && g_str_equal (parent, "moov"))
        {
          if (movie->n_tracks == MAX_TRACKS)
            return corrupt (r, _("it has too many tracks"));

          movie->track = &movie->tracks[movie->n_tracks++];
          ok = walk_boxes (r, box.start, box.end, depth + 1, box.type, movie);
          movie->track = NULL;
        }
      else if (g_str_equal (box.type, "traf") && g_str_equal (parent, "moof"))
        {
          movie->fragment_track = NULL;
          movie->fragment_default_duration = 0;
          ok = walk_boxes (r, box.start, box.end, depth + 1, box.type, movie);
          movie->fragment_track = NULL;
        }
      else if (is_container (box.type, parent))
        ok = walk_boxes (r, box.start, box.end, depth + 1, box.type, movie);
      else if (g_str_equal (box.type, "mvhd") && g_str_equal (parent, "moov"))
        ok = parse_mvhd (r, &box, movie);
      else if (g_str_equal (box.type, "trex") && g_str_equal (parent, "mvex"))
        ok = parse_trex (r, &box, movie);
      else if (g_str_equal (box.type, "tfhd") && g_str_equal (parent, "traf"))
        ok = parse_tfhd (r, &box, movie);
      else if (g_str_equal (box.type, "trun") && g_str_equal (parent, "traf"))
        ok = parse_trun (r, &box, movie);
      else if (movie->track != NULL)
        {
          if (g_str_equal (box.type, "tkhd") && g_str_equal (parent, "trak"))
            ok = parse_tkhd (r, &box, movie->track);
          else if (g_str_equal (box.type, "mdhd") && g_str_equal (parent, "mdia"))
            ok = parse_mdhd (r, &box, movie->track);
          else if (g_str_equal (box.type, "hdlr") && g_str_equal (parent, "mdia"))
            ok = parse_hdlr (r, &box, movie->track);
          else if (g_str_equal (box.type, "stts") && g_str_equal (parent, "stbl"))
            ok = parse_stts (r, &box, movie->track);
        }

      if (!ok)
        return FALSE;

      pos = box.end;
    }

  return TRUE;
}

static gboolean
is_media_track (const Track *track)
{
  return g_str_equal (track->handler, "vide") || g_str_equal (track->handler, "soun");
}

/* What plays is the longest sound or picture track (a timecode or text
 * track can claim any length and plays nothing). */
static gboolean
movie_duration (Reader *r,
                Movie  *movie,
                double *duration)
{
  gboolean found = FALSE;
  double longest = 0.0;

  for (guint i = 0; i < movie->n_tracks; i++)
    {
      const Track *track = &movie->tracks[i];
      guint64 units;

      if (!is_media_track (track))
        continue;

      if (track->has_samples)
        units = track->sample_duration;
      else if (track->has_header)
        units = track->header_duration;
      else
        continue;

      if (track->timescale == 0)
        {
          if (units > 0)
            return corrupt (r, _("a track has no time scale"));
          continue;
        }

      longest = MAX (longest, (double) units / track->timescale);
      found = TRUE;
    }

  *duration = found ? longest : movie->mvhd_duration;
  return TRUE;
}

static gboolean
probe_isobmff (Reader        *r,
               const guint8  *head,
               ClapMediaInfo *info)
{
  Movie movie = { 0 };
  const Track *video = NULL;

  /* QuickTime files may lack "ftyp"; its brand "qt  " marks a MOV. */
  if (memcmp (head + 4, "ftyp", 4) == 0 && memcmp (head + 8, "qt  ", 4) == 0)
    info->type = CLAP_MEDIA_MOV;
  else if (memcmp (head + 4, "ftyp", 4) == 0)
    info->type = CLAP_MEDIA_MP4;
  else
    info->type = CLAP_MEDIA_MOV;

  if (!walk_boxes (r, 0, r->size, 0, "", &movie))
    return FALSE;

  if (!movie.has_mvhd)
    return corrupt (r, _("it has no movie header"));

  for (guint i = 0; i < movie.n_tracks && video == NULL; i++)
    if (g_str_equal (movie.tracks[i].handler, "vide"))
      video = &movie.tracks[i];

  if (video == NULL)
    return corrupt (r, _("it has no video track"));

  if (!movie_duration (r, &movie, &info->duration))
    return FALSE;

  info->width = video->width;
  info->height = video->height;
  return TRUE;
}

static gboolean
looks_like_isobmff (const guint8 *head)
{
  static const char *const first_boxes[] = { "ftyp", "moov", "mdat", "wide", "free", "skip" };

  for (guint i = 0; i < G_N_ELEMENTS (first_boxes); i++)
    if (memcmp (head + 4, first_boxes[i], 4) == 0)
      return TRUE;
  return FALSE;
}

/* Fills @info from the first bytes of @stream, which holds @size bytes. */
gboolean
clap_media_probe_stream (GInputStream   *stream,
                         guint64         size,
                         ClapMediaInfo  *info,
                         GError        **error)
{
  static const guint8 png_sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
  Reader r = { .stream = stream, .size = size, .error = error };
  guint8 head[12];
  gsize n_head;

  g_return_val_if_fail (G_IS_INPUT_STREAM (stream), FALSE);
  g_return_val_if_fail (info != NULL, FALSE);

  memset (info, 0, sizeof *info);
  info->size = size;

  if (size == 0)
    {
      g_set_error (error, CLAP_MEDIA_ERROR, CLAP_MEDIA_ERROR_EMPTY, _("The file is empty."));
      return FALSE;
    }

  n_head = (gsize) MIN (size, sizeof head);
  if (!reader_read (&r, head, n_head))
    return FALSE;

  memcpy (r.head, head, n_head);
  r.head_len = n_head;

  if (n_head >= 8 && memcmp (head, png_sig, 8) == 0)
    {
      info->type = CLAP_MEDIA_PNG;
      if (!reader_seek (&r, 8))
        return FALSE;
      return probe_png (&r, info);
    }

  if (n_head >= 3 && head[0] == 0xff && head[1] == 0xd8 && head[2] == 0xff)
    {
      info->type = CLAP_MEDIA_JPEG;
      if (!reader_seek (&r, 2))
        return FALSE;
      return probe_jpeg (&r, info);
    }

  if (n_head == sizeof head && looks_like_isobmff (head))
    return probe_isobmff (&r, head, info);

  g_set_error (error, CLAP_MEDIA_ERROR, CLAP_MEDIA_ERROR_UNSUPPORTED_TYPE,
               _("The file is not a PNG or JPEG image, nor an MP4 or MOV video."));
  return FALSE;
}
/* Blocking: call it from a worker thread in the application. */
gboolean
clap_media_probe_file (GFile          *file,
                       ClapMediaInfo  *info,
                       GCancellable   *cancellable,
                       GError        **error)
{
  g_autoptr(GFileInputStream) stream = NULL;
  g_autoptr(GFileInfo) file_info = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *name = NULL;

  g_return_val_if_fail (G_IS_FILE (file), FALSE);

  name = g_file_get_parse_name (file);

  file_info = g_file_query_info (file,
                                 G_FILE_ATTRIBUTE_STANDARD_SIZE "," G_FILE_ATTRIBUTE_STANDARD_TYPE,
                                 G_FILE_QUERY_INFO_NONE, cancellable, &local_error);
  if (file_info == NULL)
    {
      if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
        g_set_error (error, CLAP_MEDIA_ERROR, CLAP_MEDIA_ERROR_NOT_FOUND,
                     _("“%s” does not exist any more."), name);
      else
        g_set_error (error, CLAP_MEDIA_ERROR, CLAP_MEDIA_ERROR_IO,
                     _("“%s” cannot be read: %s"), name, local_error->message);
      return FALSE;
    }

  /* Links are followed: one still seen as a link points at nothing (its
   * file was deleted or its disk unplugged after it was chosen). */
  if (g_file_info_get_file_type (file_info) == G_FILE_TYPE_SYMBOLIC_LINK)
    {
      g_set_error (error, CLAP_MEDIA_ERROR, CLAP_MEDIA_ERROR_NOT_FOUND,
                   _("“%s” does not exist any more (it is a link to a missing file)."), name);
      return FALSE;
    }

  if (g_file_info_get_file_type (file_info) != G_FILE_TYPE_REGULAR)
    {
      g_set_error (error, CLAP_MEDIA_ERROR, CLAP_MEDIA_ERROR_UNSUPPORTED_TYPE,
                   _("“%s” is not a file."), name);
      return FALSE;
    }

  stream = g_file_read (file, cancellable, &local_error);
  if (stream == NULL)
    {
      g_set_error (error, CLAP_MEDIA_ERROR, CLAP_MEDIA_ERROR_IO,
                   _("“%s” cannot be read: %s"), name, local_error->message);
      return FALSE;
    }

  return clap_media_probe_stream (G_INPUT_STREAM (stream),
                                  (guint64) g_file_info_get_size (file_info),
                                  info, error);
}

gboolean
clap_media_is_image (const ClapMediaInfo *info)
{
  return info->type == CLAP_MEDIA_PNG || info->type == CLAP_MEDIA_JPEG;
}

gboolean
clap_media_is_video (const ClapMediaInfo *info)
{
  return info->type == CLAP_MEDIA_MP4 || info->type == CLAP_MEDIA_MOV;
}

/* The Content-Type the upload must declare and repeat on its PUT. */
const char *
clap_media_get_content_type (const ClapMediaInfo *info)
{
  switch (info->type)
    {
    case CLAP_MEDIA_PNG:
      return "image/png";
    case CLAP_MEDIA_JPEG:
      return "image/jpeg";
    case CLAP_MEDIA_MP4:
      return "video/mp4";
    case CLAP_MEDIA_MOV:
      return "video/quicktime";
    case CLAP_MEDIA_UNKNOWN:
    default:
      return "application/octet-stream";
    }
}

static char *
format_megabytes (guint64 bytes)
{
  return g_format_size_full (bytes, G_FORMAT_SIZE_DEFAULT);
}

/* Kling's input rules for images: JPEG or PNG, at most 10 MB, at least 300 px
 * on each side, aspect ratio between 1:2.5 and 2.5:1. */
gboolean
clap_media_check_image (const ClapMediaInfo *info,
                        GError             **error)
{
  double aspect;

  if (clap_media_is_video (info))
    {
      g_set_error (error, CLAP_MEDIA_ERROR, CLAP_MEDIA_ERROR_WRONG_KIND,
                   _("This is a video; an image (PNG or JPEG) is needed here."));
      return FALSE;
    }

  if (!clap_media_is_image (info))
    {
      g_set_error (error, CLAP_MEDIA_ERROR, CLAP_MEDIA_ERROR_UNSUPPORTED_TYPE,
                   _("Only PNG and JPEG images are accepted."));
      return FALSE;
    }

  if (info->size > CLAP_IMAGE_MAX_BYTES)
    {
      g_autofree char *size = format_megabytes (info->size);
      g_autofree char *max = format_megabytes (CLAP_IMAGE_MAX_BYTES);
      g_set_error (error, CLAP_MEDIA_ERROR, CLAP_MEDIA_ERROR_TOO_LARGE,
                   _("The image is %s; the limit is %s."), size, max);
      return FALSE;
    }

  if (info->width < CLAP_IMAGE_MIN_SIDE || info->height < CLAP_IMAGE_MIN_SIDE)
    {
      g_set_error (error, CLAP_MEDIA_ERROR, CLAP_MEDIA_ERROR_TOO_SMALL,
                   _("The image is %u × %u pixels; each side must be at least %u."),
                   info->width, info->height, CLAP_IMAGE_MIN_SIDE);
      return FALSE;
    }

  aspect = (double) info->width / info->height;
  if (aspect > CLAP_IMAGE_MAX_ASPECT || aspect < 1.0 / CLAP_IMAGE_MAX_ASPECT)
    {
      g_set_error (error, CLAP_MEDIA_ERROR, CLAP_MEDIA_ERROR_BAD_ASPECT,
                   _("The image is %u × %u pixels, too narrow; "
                     "its aspect ratio must be between 1:2.5 and 2.5:1."),
                   info->width, info->height);
      return FALSE;
    }

  return TRUE;
}

/* Kling's rules for motion videos: MP4 or MOV, 3 s to @max_seconds, at most
 * 100 MB, sides between 340 and 3850 px. */
gboolean
clap_media_check_video (const ClapMediaInfo *info,
                        double               max_seconds,
                        GError             **error)
{
  if (clap_media_is_image (info))
    {
      g_set_error (error, CLAP_MEDIA_ERROR, CLAP_MEDIA_ERROR_WRONG_KIND,
                   _("This is an image; a video (MP4 or MOV) is needed here."));
      return FALSE;
    }

  if (!clap_media_is_video (info))
    {
      g_set_error (error, CLAP_MEDIA_ERROR, CLAP_MEDIA_ERROR_UNSUPPORTED_TYPE,
                   _("Only MP4 and MOV videos are accepted."));
      return FALSE;
    }

  if (info->size > CLAP_VIDEO_MAX_BYTES)
    {
      g_autofree char *size = format_megabytes (info->size);
      g_autofree char *max = format_megabytes (CLAP_VIDEO_MAX_BYTES);
      g_set_error (error, CLAP_MEDIA_ERROR, CLAP_MEDIA_ERROR_TOO_LARGE,
                   _("The video is %s; the limit is %s."), size, max);
      return FALSE;
    }

  if (info->duration < CLAP_VIDEO_MIN_SECONDS)
    {
      g_set_error (error, CLAP_MEDIA_ERROR, CLAP_MEDIA_ERROR_TOO_SHORT,
                   _("The video lasts %.1f s; it must last at least %.0f s."),
                   info->duration, CLAP_VIDEO_MIN_SECONDS);
      return FALSE;
    }

  if (info->duration > max_seconds + 0.05)
    {
      g_set_error (error, CLAP_MEDIA_ERROR, CLAP_MEDIA_ERROR_TOO_LONG,
                   _("The video lasts %.1f s; at most %.0f s are allowed here."),
                   info->duration, max_seconds);
      return FALSE;
    }

  if (MIN (info->width, info->height) < CLAP_VIDEO_MIN_SIDE)
    {
      g_set_error (error, CLAP_MEDIA_ERROR, CLAP_MEDIA_ERROR_TOO_SMALL,
                   _("The video is %u × %u pixels; each side must be at least %u."),
                   info->width, info->height, CLAP_VIDEO_MIN_SIDE);
      return FALSE;
    }

  if (MAX (info->width, info->height) > CLAP_VIDEO_MAX_SIDE)
    {
      g_set_error (error, CLAP_MEDIA_ERROR, CLAP_MEDIA_ERROR_TOO_BIG,
                   _("The video is %u × %u pixels; no side may exceed %u."),
                   info->width, info->height, CLAP_VIDEO_MAX_SIDE);
      return FALSE;
    }

  return TRUE;
}

/* "1.2 MB · 1920 × 1080 · 7.5 s", for the inputs' captions. */
char *
clap_media_describe (const ClapMediaInfo *info)
{
  g_autofree char *size = format_megabytes (info->size);

  if (clap_media_is_video (info))
    return g_strdup_printf (_("%s · %u × %u · %.1f s"), size, info->width, info->height,
                            info->duration);

  return g_strdup_printf (_("%s · %u × %u"), size, info->width, info->height);
}
