#!/usr/bin/env bash
# Uses the packages the way a user would, from a local folder feed: packs them, creates a fresh
# console app outside the solution, runs the README's `dotnet add package` lines in it, pastes the
# README's quick start as Program.cs, runs it on the sample photos and checks its lines; compiles the
# README's API block; publishes for one platform (the RuntimeIdentifier tip); installs the tool from
# the feed and runs `simclrv2 classify` in an empty folder. A broken package or README fails here.
# Prints one "PASS name" / "FAIL name" line per check, then "package checks: N passed, M failed".
# shellcheck disable=SC2317 # the checks are functions called through check()
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
feed=$work/feed
passed=0
failed=0
log=$work/log

check() {
  local name=$1
  shift
  if "$@" >"$log" 2>&1; then
    echo "PASS $name"
    tail -n 3 "$log" | sed 's/^/    /'
    passed=$((passed + 1))
  else
    echo "FAIL $name"
    sed 's/^/    /' "$log" | tail -40
    failed=$((failed + 1))
  fi
}

finish() {
  echo "package checks: $passed passed, $failed failed"
  [ "$failed" -eq 0 ]
  exit $?
}

rid=$(dotnet --info | awk '/^ *RID:/ {print $2; exit}')
version=$(dotnet msbuild "$root/src/SimClrV2.Sophon/SimClrV2.Sophon.csproj" -getProperty:Version)

pack() {
  for project in src/SimClrV2.Sophon src/SimClrV2.Sophon.OnnxRuntime src/SimClrV2.Sophon.Models.Cifar10; do
    dotnet pack "$root/$project" -c Release -o "$feed" || return 1
  done
  # The tool: one package per platform and the pointer package (no host RuntimeIdentifier).
  dotnet pack "$root/samples/SimClrV2.Cli" -c Release -o "$feed" -p:RuntimeIdentifier= || return 1
  ls "$feed"/SimClrV2.Sophon."$version".nupkg "$feed"/SimClrV2.Sophon.Tool."$version".nupkg >/dev/null
}
check "pack (with package validation against the baseline in eng/package-baseline)" pack || finish

# Packages of this version restored before (an earlier run) would hide a changed package.
cache=$(dotnet nuget locals global-packages -l | sed 's/^global-packages: *//')
rm -rf "$cache"/simclrv2.sophon*

# A block of the README: the fenced block after the marker comment.
block() { awk -v marker="$1" 'index($0, marker) {found = 1; next} found && /^```/ {if (inside) exit; inside = 1; next} inside {print}' "$root/README.md"; }

app=$work/HelloSimClr
setup_app() {
  dotnet new console -o "$app" --framework net10.0 || return 1
  cat >"$app/nuget.config" <<XML
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="local" value="$feed" />
    <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
  </packageSources>
</configuration>
XML
  # The README's own install lines, exactly.
  local lines
  lines=$(awk '/^## Use it from your app/ {on = 1} on && /^dotnet add package / {print} /^## / && !/Use it from your app/ {on = 0}' "$root/README.md")
  [ -n "$lines" ] || { echo "README has no 'dotnet add package' lines under 'Use it from your app'"; return 1; }
  (cd "$app" && while read -r line; do echo "+ $line"; eval "$line" || exit 1; done <<<"$lines")
}
check "new console app + the README's dotnet add package lines" setup_app || finish

run_quickstart() {
  block "<!-- quickstart:" >"$app/Program.cs"
  [ -s "$app/Program.cs" ] || { echo "README has no quick start block"; return 1; }
  (cd "$app" && dotnet run -c Release -- "$root/samples/images") >"$work/out" || { cat "$work/out"; return 1; }
  cat "$work/out"
  [ "$(grep -cE '^[^ ]+\.(png|jpg) [a-z]+ [01]\.[0-9]{4}$' "$work/out")" -eq 5 ] &&
    grep -q '^chelsea.png cat ' "$work/out" && grep -q '^horse.png horse ' "$work/out"
}
check "README quick start runs on the sample photos" run_quickstart

build_api_block() {
  block "<!-- api:" >"$app/Program.cs"
  [ -s "$app/Program.cs" ] || { echo "README has no API block"; return 1; }
  (cd "$app" && dotnet build -c Release -warnaserror)
}
check "README API block compiles" build_api_block

build_embeddings_block() {
  block "<!-- embeddings:" >"$app/Program.cs"
  [ -s "$app/Program.cs" ] || { echo "README has no embeddings block"; return 1; }
  (cd "$app" && dotnet build -c Release -warnaserror)
}
check "README embeddings block compiles" build_embeddings_block

natural_guesses() {
  # What a new user types first, as a program against the packed packages: a classifier type to
  # declare and construct, encoded bytes in, ImageInput.FromBytes, ClassifyAsync over a folder path
  # and over an IAsyncEnumerable, await using.
  cat >"$app/Program.cs" <<'CS'
using SimClrV2.Sophon.Decode;
using SimClrV2.Sophon.OnnxRuntime;
using SimClrV2.Sophon.Results;

string photos = args[0];
OnnxImageClassifier created = OnnxImageClassifier.Create(new OnnxClassifierOptions());
created.Dispose();
await using var classifier = new OnnxImageClassifier(new OnnxClassifierOptions());
byte[] jpegBytes = File.ReadAllBytes(Path.Combine(photos, "rocket.jpg"));
Prediction fromBytes = classifier.Classify(jpegBytes);
Console.WriteLine($"bytes {fromBytes.Label} {fromBytes.Succeeded}");
Prediction fromInput = classifier.Classify([ImageInput.FromBytes(jpegBytes, "rocket.jpg")])[0];
Console.WriteLine($"input {fromInput.Source} {fromInput.Label}");
await foreach (Prediction p in classifier.ClassifyAsync(photos))
{
    Console.WriteLine($"path {p.Source} {p.Label}");
}

await foreach (Prediction p in classifier.ClassifyAsync(Arriving(photos)))
{
    Console.WriteLine($"stream {p.Source} {p.Label}");
}

static async IAsyncEnumerable<ImageInput> Arriving(string folder)
{
    foreach (string file in Directory.GetFiles(folder, "*.png").Order())
    {
        await Task.Yield();
        yield return ImageInput.FromFile(file);
    }
}
CS
  (cd "$app" && dotnet build -c Release -warnaserror && dotnet run -c Release --no-build -- "$root/samples/images") >"$work/out" || { cat "$work/out"; return 1; }
  cat "$work/out"
  grep -q '^bytes [a-z]* True$' "$work/out" && grep -q '^input rocket.jpg ' "$work/out" &&
    [ "$(grep -c '^path ' "$work/out")" -eq 5 ] && grep -q '^path chelsea.png cat$' "$work/out" &&
    [ "$(grep -c '^stream ' "$work/out")" -eq 4 ] && grep -q '^stream horse.png horse$' "$work/out"
}
check "a new user's natural guesses compile and run" natural_guesses

plain_build_size() {
  # A plain build copies every platform's native assets; SkiaSharp's (a 93 MB pdb among them) made it 713 MB.
  local size
  size=$(du -sm "$app/bin/Release" | cut -f1)
  echo "plain build output: ${size} MB"
  [ "$size" -lt 400 ]
}
check "the plain build output stays small (no SkiaSharp natives)" plain_build_size

publish_one_platform() {
  block "<!-- quickstart:" >"$app/Program.cs"
  (cd "$app" && dotnet publish -c Release -r "$rid" --self-contained false -o "$work/published") || return 1
  local size
  size=$(du -sm "$work/published" | cut -f1)
  echo "published for $rid: ${size} MB"
  [ "$size" -lt 60 ] && [ "$(find "$work/published" -name 'libonnxruntime.so' | wc -l)" -eq 1 ]
}
check "publish with a RuntimeIdentifier stays small" publish_one_platform

publish_trimmed() {
  # Trimming/AOT-clean: no trim warning from this project's assemblies (ImageSharp 2.1's own remain),
  # and the trimmed app still finds the default model and classifies.
  block "<!-- quickstart:" >"$app/Program.cs"
  (cd "$app" && dotnet publish -c Release -r "$rid" -p:PublishTrimmed=true -o "$work/trimmed") >"$work/trim-log" 2>&1 || { cat "$work/trim-log"; return 1; }
  if grep -E 'warning IL[0-9]+' "$work/trim-log" | grep -v "Assembly 'SixLabors.ImageSharp' produced trim warnings" | grep -q .; then
    grep -E 'warning IL[0-9]+' "$work/trim-log"
    return 1
  fi
  "$work/trimmed/HelloSimClr" "$root/samples/images" | tee "$work/trimmed-out"
  grep -q '^chelsea.png cat ' "$work/trimmed-out"
}
check "trimmed publish: no trim warning from these packages, and it classifies" publish_trimmed

exclude_cpu_natives() {
  # The README's way to use another ONNX Runtime native package: the CPU package's native files stay out.
  local line
  line=$(grep -m1 -E '<PackageReference Include="Microsoft.ML.OnnxRuntime" .*ExcludeAssets=' "$root/README.md") || { echo "README has no ExcludeAssets line"; return 1; }
  sed -i "s|</Project>|<ItemGroup>$line</ItemGroup></Project>|" "$app/HelloSimClr.csproj"
  (cd "$app" && dotnet publish -c Release -r "$rid" --self-contained false -o "$work/excluded") || return 1
  echo "onnxruntime files: $(find "$work/excluded" -iname '*onnxruntime*' -printf '%f ')"
  [ -f "$work/excluded/Microsoft.ML.OnnxRuntime.dll" ] && [ -z "$(find "$work/excluded" -iname '*onnxruntime*' ! -name 'Microsoft.ML.OnnxRuntime.dll' ! -name 'SimClrV2.Sophon.OnnxRuntime.*')" ]
}
check "README's ExcludeAssets line keeps ONNX Runtime's CPU native files out" exclude_cpu_natives

tool() {
  dotnet tool install --tool-path "$work/tools" --add-source "$feed" SimClrV2.Sophon.Tool --version "$version" || return 1
  mkdir -p "$work/anywhere"
  (cd "$work/anywhere" && "$work/tools/simclrv2" classify) >"$work/tool-out" || { cat "$work/tool-out"; return 1; }
  cat "$work/tool-out"
  grep -qE '^chelsea\.png +cat ' "$work/tool-out" && grep -q 'classified 5 images (0 failed)' "$work/tool-out" &&
    ls "$work/anywhere/results/"*_result.json
}
check "dotnet tool install, then simclrv2 classify from any folder" tool

finish
