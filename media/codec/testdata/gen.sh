#!/bin/sh
# gen.sh makes the reference vectors the codec tests compare against, with
# FFmpeg and SoX as independent implementations. Run it once from this
# directory (sh gen.sh); its outputs are checked in, so `go test` needs
# neither tool. Needs: apt-get install ffmpeg sox perl
#
# G.722 (16 kHz, s16le mono raw):
#   <sig>.s16            input made by SoX
#   <sig>.g722           FFmpeg's G.722 encoding of it (no trellis)
#   <sig>.g722.s16       FFmpeg's decoding of that bitstream
#   random.g722          4000 random bytes; random.g722.s16 their FFmpeg decoding
# G.711 (8 kHz):
#   pcmu.dec.s16, pcma.dec.s16   SoX's decoding of the 256 code words 0..255
#   pcmu.enc.txt, pcma.enc.txt   SoX's encoding of every int16 value, as
#                                "first-sample code" lines where the code changes
#                                (SoX rounds to 14/13 bits first; the test knows
#                                where that may differ from G.191's truncation)
set -eu
for t in ffmpeg sox perl; do
	command -v $t >/dev/null || { echo "gen.sh: $t missing: apt-get install ffmpeg sox perl" >&2; exit 1; }
done

raw16="-t raw -r 16000 -e signed-integer -b 16 -c 1 -L"
# -R: repeatable random; -D: no dither, so the files are what synth made.
sox -R -D -n $raw16 tone1k.s16 synth 0.5 sine 1000 vol 0.5
sox -R -D -n $raw16 chirp.s16 synth 0.5 sine 50-7950 vol 0.9
sox -R -D -n $raw16 noise.s16 synth 0.5 whitenoise vol 0.7
sox -R -D -n $raw16 loud.s16 synth 0.25 square 440 vol 1.0

ff="ffmpeg -hide_banner -loglevel error -y"
for sig in tone1k chirp noise loud; do
	$ff -f s16le -ar 16000 -ac 1 -i $sig.s16 -c:a g722 -f g722 $sig.g722
	$ff -f g722 -i $sig.g722 -c:a pcm_s16le -f s16le $sig.g722.s16
done
if [ ! -f random.g722 ]; then
	head -c 4000 /dev/urandom > random.g722
fi
$ff -f g722 -i random.g722 -c:a pcm_s16le -f s16le random.g722.s16

perl -e 'print pack("C*", 0..255)' > codes.u8
perl -e 'print pack("s<*", -32768..32767)' > ramp.s16
for law in u a; do
	name=pcm$law; enc=mu-law; [ $law = a ] && enc=a-law
	sox -D -t raw -r 8000 -e $enc -b 8 -c 1 codes.u8 -t raw -e signed-integer -b 16 -L $name.dec.s16
	sox -D -t raw -r 8000 -e signed-integer -b 16 -c 1 -L ramp.s16 -t raw -e $enc -b 8 $name.enc.u8
	perl -e 'local $/; my @c = unpack("C*", <STDIN>); my $p = -1;
		for my $i (0..$#c) { if ($c[$i] != $p) { printf "%d %d\n", $i - 32768, $c[$i]; $p = $c[$i]; } }' \
		< $name.enc.u8 > $name.enc.txt
	rm $name.enc.u8
done
rm codes.u8 ramp.s16
